/**
 * Head scoring (HIS, attention entropy, HIES and the other criteria), head selection and
 * evaluation, exactly as ARCHITECTURE.md §3 defines them. Uses checkpoint and model; imports no
 * Spring or JPA.
 */
package io.headprune.scoring;

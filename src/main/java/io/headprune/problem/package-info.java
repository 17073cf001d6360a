/**
 * The one exception hierarchy of headprune. Every failure a caller can act on is a {@link
 * io.headprune.problem.HeadpruneException}; the api package maps each subclass once to an RFC 9457
 * problem detail. Imports nothing but the JDK.
 */
package io.headprune.problem;

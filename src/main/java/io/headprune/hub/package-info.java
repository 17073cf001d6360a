/**
 * A Hugging Face Hub client done the way huggingface_hub does it: revisions resolved to commits,
 * files downloaded from {@code resolve/<commit>}, LFS files checked against their SHA-256, broken
 * downloads resumed, and a cache laid out as huggingface_hub lays it out. Uses problem and
 * checkpoint; no Spring.
 */
package io.headprune.hub;

/**
 * The artifact store (a local directory; the layout keeps an S3-compatible store possible) and safe
 * archive handling: extraction with path-traversal, link, entry-count and size-bomb checks, and
 * tar.gz packing of output directories. Uses problem; no JPA.
 */
package io.headprune.storage;

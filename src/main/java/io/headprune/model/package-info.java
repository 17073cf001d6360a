/**
 * The model families, one file each, every file opening with its {@link
 * io.headprune.model.Architecture}: config keys, head layout, physical pruning and the forward pass
 * written from DJL NDArray ops in forward order with per-example head gates. {@link
 * io.headprune.model.Models} lists them; nothing outside this package names a family. Uses
 * checkpoint; imports no Spring or JPA.
 */
package io.headprune.model;

/**
 * Reading and writing Hugging Face model directories: safetensors (our own, validated, long
 * offsets), config.json, tokenizers and calibration datasets. Imports no Spring or JPA; the
 * model, scoring and pruning packages build on it.
 */
package io.headprune.checkpoint;

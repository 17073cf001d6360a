/**
 * Reading and writing Hugging Face model directories: safetensors (our own, validated, long
 * offsets), config.json values, tokenizers, images (decoding, EXIF orientation, Pillow's resize,
 * the image processor) and calibration datasets. Knows no model family. Imports no Spring or JPA;
 * the model, scoring and pruning packages build on it.
 */
package io.headprune.checkpoint;

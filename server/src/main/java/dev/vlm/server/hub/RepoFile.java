package dev.vlm.server.hub;

/**
 * One file of a repository at a commit, from the Hub's revision listing.
 *
 * @param path its path in the repository, e.g. {@code onnx/decoder_model_merged_q4.onnx}
 * @param size its size in bytes; -1 if the listing did not say
 */
public record RepoFile(String path, long size) {}

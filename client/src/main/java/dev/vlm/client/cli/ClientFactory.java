package dev.vlm.client.cli;

import dev.vlm.client.ClientOptions;
import dev.vlm.client.VlmClient;

/** Opens the client a command talks through; tests substitute an in-process one. */
@FunctionalInterface
interface ClientFactory {
  /** Opens a client for {@code target}; the caller closes it. */
  VlmClient open(String target, ClientOptions options);
}

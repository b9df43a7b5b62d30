package dev.vlm.server.metrics;

import java.util.List;

/**
 * Which models a server holds in memory, as the gateway's model-affinity routing reads it.
 *
 * @param loaded models resident and serving
 * @param loading models being loaded now
 * @param configured how many models the server may serve (the most it could hold)
 */
public record ResidentModels(List<String> loaded, List<String> loading, int configured) {
  public ResidentModels {
    loaded = List.copyOf(loaded);
    loading = List.copyOf(loading);
  }
}

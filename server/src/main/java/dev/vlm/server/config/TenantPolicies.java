package dev.vlm.server.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Per-tenant quotas and model lists: the named entries, and the {@value TenantPolicy#DEFAULT_NAME}
 * entry for every other tenant. Immutable.
 */
public record TenantPolicies(Map<String, TenantPolicy> named, TenantPolicy fallback) {
  public TenantPolicies {
    named = Map.copyOf(named);
    Objects.requireNonNull(fallback, "fallback");
  }

  /** No limits for anyone: the behaviour without a {@code tenants} section. */
  public static TenantPolicies unlimited() {
    return new TenantPolicies(Map.of(), TenantPolicy.unlimited(TenantPolicy.DEFAULT_NAME));
  }

  /**
   * From the config's list; the {@value TenantPolicy#DEFAULT_NAME} entry, if listed, applies to
   * unlisted tenants, else they are unlimited.
   *
   * @throws IllegalArgumentException if a name is listed twice
   */
  public static TenantPolicies of(List<TenantPolicy> entries) {
    Map<String, TenantPolicy> byName = new TreeMap<>();
    for (TenantPolicy entry : entries) {
      if (byName.put(entry.name(), entry) != null) {
        throw new IllegalArgumentException("tenant '" + entry.name() + "' is configured twice");
      }
    }
    TenantPolicy fallback = byName.remove(TenantPolicy.DEFAULT_NAME);
    return new TenantPolicies(byName, fallback != null ? fallback : TenantPolicy.unlimited(TenantPolicy.DEFAULT_NAME));
  }

  /** The policy that applies to {@code tenant}. */
  public TenantPolicy forTenant(String tenant) {
    return named.getOrDefault(tenant, fallback);
  }

  /** Tenants configured by name (metric labels use these, everyone else is {@code other}). */
  public Set<String> names() {
    return named.keySet();
  }

  /**
   * @throws IllegalArgumentException if an entry lists a model that is not configured
   */
  void checkModels(Set<String> served) {
    List<TenantPolicy> all = new ArrayList<>(named.values());
    all.add(fallback);
    for (TenantPolicy policy : all) {
      for (String model : policy.models().orElse(Set.of())) {
        if (!served.contains(model)) {
          throw new IllegalArgumentException(
              "tenant '" + policy.name() + "' lists model '" + model + "', which is not configured; models: " + served);
        }
      }
    }
  }
}

package dev.vlm.server.auth;

import dev.vlm.server.config.TenantPolicies;
import dev.vlm.server.errors.ModelNotFoundException;
import dev.vlm.server.errors.PermissionDeniedException;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What a caller may do: model management only as an admin, and only the models its tenant may
 * use. A model a tenant may not use is refused exactly as an unknown one (NOT_FOUND listing only
 * the tenant's models), so model names do not leak between tenants. Thread-safe.
 */
public final class TenantAccess {
  private final TenantPolicies policies;

  public TenantAccess(TenantPolicies policies) {
    this.policies = Objects.requireNonNull(policies, "policies");
  }

  /**
   * @param action what is refused, for the message (e.g. "UnloadModel")
   * @throws PermissionDeniedException unless the caller is an admin
   */
  public void requireAdmin(Caller caller, String action) {
    if (caller.role() != Role.ADMIN) {
      throw new PermissionDeniedException(
          action + " needs role admin; tenant '" + caller.tenant() + "' calls with role "
              + caller.role().name().toLowerCase(Locale.ROOT));
    }
  }

  /** Whether the caller may use and see the model. */
  public boolean sees(Caller caller, String model) {
    return policies.forTenant(caller.tenant()).allows(model);
  }

  /**
   * @param served every model the server serves
   * @throws ModelNotFoundException if the model is not served or the caller may not use it,
   *     listing only the models it may use
   */
  public void checkModel(Caller caller, String model, Collection<String> served) {
    if (!served.contains(model) || !sees(caller, model)) {
      throw new ModelNotFoundException(model, visible(caller, served));
    }
  }

  /** The served models the caller may see, in the given order. */
  public List<String> visible(Caller caller, Collection<String> served) {
    return served.stream().filter(m -> sees(caller, m)).toList();
  }
}

package dev.vlm.scheduler;

import java.util.HashMap;
import java.util.Map;

/**
 * Service received by each active tenant, in tokens scheduled (prefill and decode alike). A
 * tenant is active while it has an unfinished request. A tenant that becomes active starts at
 * the least service of the tenants already active, not at zero: it cannot claim credit for the
 * time it was away, and it cannot be punished for it either (start-time fair queuing). A tenant
 * that goes idle is forgotten.
 *
 * <p>Not thread-safe.
 */
final class TenantLedger {
  private static final class Account {
    long served;
    int live;
  }

  private final Map<String, Account> active = new HashMap<>();

  void join(String tenant) {
    Account account = active.get(tenant);
    if (account == null) {
      account = new Account();
      account.served = leastServed();
      active.put(tenant, account);
    }
    account.live++;
  }

  void leave(String tenant) {
    Account account = active.get(tenant);
    if (account != null && --account.live == 0) {
      active.remove(tenant);
    }
  }

  void charge(String tenant, int tokens) {
    Account account = active.get(tenant);
    if (account != null) {
      account.served += tokens;
    }
  }

  long served(String tenant) {
    Account account = active.get(tenant);
    return account == null ? leastServed() : account.served;
  }

  private long leastServed() {
    long least = Long.MAX_VALUE;
    for (Account account : active.values()) {
      least = Math.min(least, account.served);
    }
    return least == Long.MAX_VALUE ? 0 : least;
  }
}

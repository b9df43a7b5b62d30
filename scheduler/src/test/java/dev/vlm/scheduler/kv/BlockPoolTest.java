package dev.vlm.scheduler.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BlockPoolTest {
  private final BlockPool pool = new BlockPool(4);

  @AfterEach
  void poolIsConsistentAndEmpty() {
    pool.checkInvariants();
    assertThat(pool.freeBlocks()).isEqualTo(pool.totalBlocks());
  }

  @Test
  void handsOutEveryBlockOnceThenRefuses() {
    Set<Integer> ids = new HashSet<>();
    for (int i = 0; i < 4; i++) {
      ids.add(pool.allocate());
    }
    assertThat(ids).containsExactlyInAnyOrder(0, 1, 2, 3);
    assertThat(pool.freeBlocks()).isZero();
    assertThat(pool.usedBlocks()).isEqualTo(4);
    assertThatThrownBy(pool::allocate).isInstanceOf(IllegalStateException.class);
    pool.checkInvariants();
    ids.forEach(pool::release);
  }

  @Test
  void aSharedBlockIsFreedByItsLastHolder() {
    int id = pool.allocate();
    pool.retain(id);
    assertThat(pool.refCount(id)).isEqualTo(2);
    pool.release(id);
    assertThat(pool.freeBlocks()).isEqualTo(3);
    pool.release(id);
    assertThat(pool.refCount(id)).isZero();
  }

  @Test
  void aReleasedBlockGoesToTheBackOfTheFreeList() {
    int first = pool.allocate();
    pool.release(first);
    assertThat(pool.allocate()).isNotEqualTo(first);
    // Give everything back.
    for (int id = 0; id < 4; id++) {
      if (pool.refCount(id) > 0) {
        pool.release(id);
      }
    }
  }

  @Test
  void misuseIsRefusedWithTheBlockNamed() {
    assertThatThrownBy(() -> pool.release(2)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2");
    assertThatThrownBy(() -> pool.retain(1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pool.refCount(4)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BlockPool(0)).isInstanceOf(IllegalArgumentException.class);
  }
}

package dev.vlm.scheduler.kv;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KvCacheManagerTest {
  private final BlockPool pool = new BlockPool(5);
  private final KvCacheManager kv = new KvCacheManager(pool, 4);

  @AfterEach
  void allBlocksFree() {
    pool.checkInvariants();
    assertThat(pool.freeBlocks()).isEqualTo(5);
  }

  @Test
  void blocksForRoundsUp() {
    assertThat(kv.blocksFor(0)).isZero();
    assertThat(kv.blocksFor(1)).isEqualTo(1);
    assertThat(kv.blocksFor(4)).isEqualTo(1);
    assertThat(kv.blocksFor(5)).isEqualTo(2);
  }

  @Test
  void tablesGrowAsSequencesGetLonger() {
    BlockTable table = new BlockTable();
    assertThat(kv.ensureCapacity(table, 3)).isTrue();
    assertThat(table.size()).isEqualTo(1);
    assertThat(kv.ensureCapacity(table, 4)).isTrue();
    assertThat(table.size()).isEqualTo(1);
    assertThat(kv.ensureCapacity(table, 9)).isTrue();
    assertThat(table.size()).isEqualTo(3);
    assertThat(kv.utilization()).isEqualTo(0.6);
    kv.free(table);
    assertThat(table.isEmpty()).isTrue();
  }

  @Test
  void growthIsAllOrNothing() {
    BlockTable a = new BlockTable();
    BlockTable b = new BlockTable();
    assertThat(kv.ensureCapacity(a, 12)).isTrue();
    assertThat(kv.ensureCapacity(b, 12)).isFalse();
    assertThat(b.isEmpty()).isTrue();
    assertThat(pool.freeBlocks()).isEqualTo(2);
    assertThat(kv.ensureCapacity(b, 8)).isTrue();
    assertThat(a.toArray()).doesNotContain(b.toArray());
    kv.free(a);
    kv.free(b);
  }
}

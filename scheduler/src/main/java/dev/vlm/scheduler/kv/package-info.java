/**
 * Logical KV-cache accounting: which fixed-size blocks of token positions each sequence holds.
 *
 * <p>A {@link dev.vlm.scheduler.kv.BlockPool} owns a fixed number of block ids with reference
 * counts and a free list; a {@link dev.vlm.scheduler.kv.BlockTable} is one sequence's ordered
 * list of blocks (block {@code i} holds positions {@code [i*N, (i+1)*N)}); a {@link
 * dev.vlm.scheduler.kv.KvCacheManager} grows tables as sequences get longer, all or nothing, and
 * returns their blocks when they finish or are preempted.
 *
 * <p>Nothing here stores a tensor: the engine decides where a block's keys and values physically
 * live. Reference counts exist so that blocks can later be shared (a common prompt prefix, a
 * forked sequence); today every block has exactly one owner. All types are single-threaded: the
 * scheduler's owner thread is the only caller.
 */
package dev.vlm.scheduler.kv;

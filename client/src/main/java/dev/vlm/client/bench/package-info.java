/**
 * Load generation and latency measurement for a vlm server, behind {@code vlm bench} and usable
 * in-process.
 *
 * <p>Describe the request mix with a {@link dev.vlm.client.bench.BenchSpec} (from JSON, or the
 * built-in default), the load with a {@link dev.vlm.client.bench.BenchConfig} (closed loop at a
 * fixed concurrency, or open loop with Poisson arrivals), run a {@link
 * dev.vlm.client.bench.BenchRunner} and read the {@link dev.vlm.client.bench.BenchReport}
 * (table or JSON). Invalid specs and configurations fail with a {@link
 * dev.vlm.client.bench.BenchSpecException} naming the field.
 */
package dev.vlm.client.bench;

/*
 * Memory-bandwidth probe that is not ONNX Runtime's kernel: one thread per core streams over
 * its share of a large buffer, summing 64-bit words, and the best of several passes is printed
 * in GB/s (10^9 bytes per second). The buffer (default 2 GiB) is many times any last-level
 * cache, so every pass reads DRAM. Decoding one token of a weight-bound model reads all the
 * decoder's weights once, so (this figure / weight bytes per token) bounds batch-1 tokens/s
 * (see bench/weight_bytes.py).
 *
 *   gcc -O3 -march=native -pthread bench/bandwidth.c -o bench/out/bandwidth
 *   bench/out/bandwidth [buffer MiB, default 2048] [passes, default 10] [threads, default: cores]
 *
 * Output: one human line on stderr per pass, then on stdout
 *   bandwidth_gbps=<best> threads=<n> buffer_mib=<m> passes=<p>
 *
 * With -march=native GCC vectorises the sum loop (AVX2 or AVX-512 adds of 64-bit lanes); four
 * independent accumulators keep the adds off the critical path, so the loads are the limit.
 * Each thread first writes its own slice, so on a NUMA machine its pages sit on its node.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const uint64_t *words;
    size_t count;
    int passes;
    pthread_barrier_t *start;
    pthread_barrier_t *end;
    double *began; /* per pass: when this thread started and finished reading */
    double *ended;
    uint64_t sum; /* kept so the compiler cannot drop the reads */
} Slice;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint64_t sum_words(const uint64_t *restrict w, size_t n) {
    uint64_t a = 0, b = 0, c = 0, d = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        a += w[i];
        b += w[i + 1];
        c += w[i + 2];
        d += w[i + 3];
    }
    for (; i < n; i++) a += w[i];
    return a + b + c + d;
}

static void *worker(void *arg) {
    Slice *s = arg;
    /* First touch: this thread's pages, filled with non-zero data (no shared zero page). */
    uint64_t *w = (uint64_t *) s->words;
    for (size_t i = 0; i < s->count; i++) w[i] = i * 0x9E3779B97F4A7C15ull;
    for (int p = 0; p < s->passes; p++) {
        pthread_barrier_wait(s->start);
        s->began[p] = now();
        s->sum += sum_words(s->words, s->count);
        s->ended[p] = now();
        pthread_barrier_wait(s->end);
    }
    return NULL;
}

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 2048;
    int passes = argc > 2 ? atoi(argv[2]) : 10;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = argc > 3 ? atoi(argv[3]) : (int) (cores > 0 ? cores : 1);
    if (mib == 0 || passes <= 0 || threads <= 0) {
        fprintf(stderr, "usage: %s [buffer MiB] [passes] [threads]\n", argv[0]);
        return 2;
    }
    size_t bytes = mib << 20;
    size_t words = bytes / sizeof(uint64_t);
    uint64_t *buffer = aligned_alloc(4096, bytes);
    if (buffer == NULL) {
        fprintf(stderr, "cannot allocate %zu MiB\n", mib);
        return 1;
    }

    pthread_barrier_t start, end;
    pthread_barrier_init(&start, NULL, threads + 1);
    pthread_barrier_init(&end, NULL, threads + 1);
    Slice *slices = calloc(threads, sizeof(Slice));
    pthread_t *ids = calloc(threads, sizeof(pthread_t));
    size_t per = words / threads / 8 * 8; /* whole cache lines per thread */
    for (int t = 0; t < threads; t++) {
        slices[t] = (Slice) {buffer + t * per, t == threads - 1 ? words - t * per : per, passes, &start, &end,
                             calloc(passes, sizeof(double)), calloc(passes, sizeof(double)), 0};
        pthread_create(&ids[t], NULL, worker, &slices[t]);
    }

    /* A pass lasts from the first thread's start to the last thread's end, as the threads saw
     * it (this thread may be descheduled around the barriers, so it does not time them). */
    double best = 1e30;
    for (int p = 0; p < passes; p++) {
        pthread_barrier_wait(&start); /* also waits for the first-touch fill before pass 0 */
        pthread_barrier_wait(&end);
        double first = 1e30, last = 0;
        for (int t = 0; t < threads; t++) {
            if (slices[t].began[p] < first) first = slices[t].began[p];
            if (slices[t].ended[p] > last) last = slices[t].ended[p];
        }
        double seconds = last - first;
        if (seconds < best) best = seconds;
        fprintf(stderr, "pass %d: %.2f GB/s\n", p, bytes / seconds / 1e9);
    }
    uint64_t sum = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        sum += slices[t].sum;
        free(slices[t].began);
        free(slices[t].ended);
    }
    fprintf(stderr, "(checksum %llx)\n", (unsigned long long) sum);
    printf("bandwidth_gbps=%.2f threads=%d buffer_mib=%zu passes=%d\n", bytes / best / 1e9, threads, mib, passes);
    free(ids);
    free(slices);
    free(buffer);
    return 0;
}

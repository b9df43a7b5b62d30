package dev.vlm.server.serving;

import java.util.Map;

/**
 * A snapshot of one configured model, for listing.
 *
 * @param name the name clients use
 * @param family the family that runs it ("" if it could not be determined)
 * @param state its lifecycle state
 * @param error why it failed ("" unless FAILED)
 * @param reservedBytes bytes it holds in the memory budget (weights, KV cache, activations); 0
 *     when not resident
 * @param source its directory, or its Hub source ({@code hf:ORG/REPO[@REVISION][/SUBFOLDER]})
 * @param maxContextTokens prompt plus output limit (0 until loaded)
 * @param lastLoadMillis duration of the last load (0 if never loaded)
 * @param inFlightRequests requests accepted and not yet finished
 * @param generatedTokens tokens generated since the server started
 * @param steps forward steps the model's batching loop has run
 * @param preemptions sequences preempted (KV taken back, recomputed later) so far
 * @param lastUsedEpochMillis when a request last started or ended on it (Unix ms; 0 never)
 * @param pinned loaded at start-up and never evicted
 * @param graphDtypes the weight type of each graph, by file stem, in graph order
 * @param download how far the pull of a LOADING Hub model has come ({@link DownloadProgress#NONE} otherwise)
 */
public record ModelStatus(
    String name,
    String family,
    ModelState state,
    String error,
    long reservedBytes,
    String source,
    int maxContextTokens,
    long lastLoadMillis,
    int inFlightRequests,
    long generatedTokens,
    long steps,
    long preemptions,
    long lastUsedEpochMillis,
    boolean pinned,
    Map<String, String> graphDtypes,
    DownloadProgress download) {}

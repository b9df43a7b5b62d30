package dev.vlm.server.hub;

import dev.vlm.server.config.HubSettings;
import dev.vlm.server.config.ModelSource;
import dev.vlm.server.model.WeightTypes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Pulls what the server opens of a Hub model into the cache: lists the revision, selects the
 * files for the weight types ({@link ExportFiles}), checks there is room, fetches each file
 * ({@link BlobFetcher}) and finally records the revision's commit in {@code refs/}. Thread-safe.
 */
public final class ModelPuller {
  private final HubApi api;
  private final HubCache cache;
  private final BlobFetcher fetcher;
  private final DiskSpace disk;

  public ModelPuller(HubSettings settings) {
    this(settings, DiskSpace.SYSTEM);
  }

  public ModelPuller(HubSettings settings, DiskSpace disk) {
    this.api = new HubApi(settings);
    this.cache = new HubCache(settings.cacheDir());
    this.fetcher = new BlobFetcher(api, cache);
    this.disk = disk;
  }

  /**
   * @return the model directory in the snapshot (the subfolder, if the source names one)
   * @throws HubException naming the repository or file and the cause
   */
  public Path pull(ModelSource.Hub source, WeightTypes weights, PullListener listener) {
    RepoListing listing = api.listing(source.repoId(), source.revision());
    List<RepoFile> files = ExportFiles.select(listing, source.subfolder(), weights);
    List<FileLocation> locations = new ArrayList<>();
    for (RepoFile file : files) {
      locations.add(api.locate(source.repoId(), listing.commit(), file.path()));
    }
    long total = 0;
    long missing = 0;
    for (FileLocation location : locations) {
      total = location.size() < 0 || total < 0 ? -1 : total + location.size();
      missing += bytesToFetch(source.repoId(), location);
    }
    checkRoom(source, missing);
    listener.planned(locations.size(), total);
    for (FileLocation location : locations) {
      fetcher.fetch(source.repoId(), location, listener);
    }
    try {
      cache.writeRef(source.repoId(), source.revision(), listing.commit());
    } catch (IOException e) {
      throw new HubException("cannot record " + source + " -> " + listing.commit() + " in " + cache.repoDir(source.repoId())
          + "/refs (" + HubApi.describe(e) + ")", e);
    }
    Path snapshot = cache.snapshot(source.repoId(), listing.commit());
    return source.subfolder().isEmpty() ? snapshot : snapshot.resolve(source.subfolder());
  }

  private long bytesToFetch(String repoId, FileLocation location) {
    if (location.size() < 0) {
      return 0;
    }
    try {
      Path blob = cache.blob(repoId, location.etag());
      if (Files.isRegularFile(blob) && Files.size(blob) == location.size()) {
        return 0;
      }
      Path partial = cache.incomplete(repoId, location.etag());
      long have = Files.isRegularFile(partial) ? Files.size(partial) : 0;
      return Math.max(0, location.size() - have);
    } catch (IOException e) {
      return location.size();
    }
  }

  /** Fails before the first byte when the disk cannot hold what is missing. */
  private void checkRoom(ModelSource.Hub source, long needed) {
    Path dir = cache.repoDir(source.repoId());
    try {
      Files.createDirectories(dir.resolve("blobs"));
      long free = disk.usableBytes(dir);
      if (free < needed) {
        throw new HubException(source + ": disk full: the files need " + needed + " bytes, " + dir + " has " + free
            + " free");
      }
    } catch (IOException e) {
      throw new HubException(source + ": cannot create the cache folder " + dir + " (" + HubApi.describe(e) + ")", e);
    }
  }
}

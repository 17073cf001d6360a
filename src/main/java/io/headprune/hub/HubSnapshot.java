package io.headprune.hub;

import java.nio.file.Path;

/**
 * Files of one repository at one commit, in the cache.
 *
 * @param directory {@code <cache>/<type>--<org>--<name>/snapshots/<commit>}
 * @param commit the commit the revision resolved to
 */
public record HubSnapshot(Path directory, String commit) {}

package io.headprune.jobs;

import io.headprune.storage.ArtifactStore;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Models and datasets stored before sizes were recorded (the stored-bytes quota counts them) are
 * measured once at start: their size on disk goes into their row.
 */
@Component
class StoredBytes {

  private static final Logger log = LoggerFactory.getLogger(StoredBytes.class);

  private final JdbcTemplate sql;
  private final ArtifactStore store;

  StoredBytes(JdbcTemplate sql, ArtifactStore store) {
    this.sql = sql;
    this.store = store;
  }

  @EventListener(ApplicationReadyEvent.class)
  void measureUnsized() {
    int measured = 0;
    for (String table : List.of("models", "datasets")) {
      for (Map<String, Object> row :
          sql.queryForList("select id, storage_path from " + table + " where bytes is null")) {
        long bytes = ArtifactStore.size(store.resolve((String) row.get("storage_path")));
        measured +=
            sql.update(
                "update " + table + " set bytes = ? where id = ? and bytes is null",
                bytes,
                row.get("id"));
      }
    }
    if (measured > 0) {
      log.info(
          "measured the stored size of {} models and datasets older than size records", measured);
    }
  }
}

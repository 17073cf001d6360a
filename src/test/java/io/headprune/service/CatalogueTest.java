package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.storage.Archives;
import io.headprune.storage.ArtifactStore;
import io.headprune.support.Fixtures;
import io.headprune.support.Instances;
import io.headprune.support.ServiceTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.FileSystemResource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.web.client.RestClient;

/**
 * The catalogue a pipeline finds its uploads in: names and labels given at upload, listings by name
 * and label (a JSON containment query in PostgreSQL), newest first and paged, and merge patches of
 * both — in a tenant of its own, so the shared database's other uploads stay out.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
class CatalogueTest extends ServiceTest {

  private RestClient tenant(String name) {
    String key =
        (String)
            http.post()
                .uri("/v1/keys")
                .contentType(MediaType.APPLICATION_JSON)
                .body(Map.of("tenant", name, "role", "member"))
                .retrieve()
                .body(Map.class)
                .get("key");
    return Instances.client(port, key);
  }

  private static ResponseEntity<Map> upload(
      RestClient client, String path, Path file, String name, String labels) {
    LinkedMultiValueMap<String, Object> parts = new LinkedMultiValueMap<>();
    parts.add("file", new FileSystemResource(file));
    if (name != null) {
      parts.add("name", name);
    }
    if (labels != null) {
      parts.add("labels", labels);
    }
    return client
        .post()
        .uri(path)
        .contentType(MediaType.MULTIPART_FORM_DATA)
        .body(parts)
        .retrieve()
        .toEntity(Map.class);
  }

  private static Map<String, Object> list(RestClient client, String uri) {
    return client.get().uri(uri).retrieve().body(Map.class);
  }

  private static List<String> ids(Map<String, Object> page) {
    return ((List<Map<String, Object>>) page.get("items"))
        .stream().map(item -> (String) item.get("id")).toList();
  }

  private static ResponseEntity<Map> patch(RestClient client, String uri, String body) {
    return client
        .patch()
        .uri(uri)
        .contentType(MediaType.valueOf("application/merge-patch+json"))
        .body(body)
        .retrieve()
        .toEntity(Map.class);
  }

  @Test
  void uploadsAreFoundByNameAndLabelsNewestFirstAndPatched() throws Exception {
    RestClient client = tenant("catalogue");
    Path first = Files.writeString(DATA.resolve("catalogue-a.jsonl"), "{\"text\": \"a b\"}\n");
    Path second = Files.writeString(DATA.resolve("catalogue-b.jsonl"), "{\"text\": \"c d\"}\n");
    Path third = Files.writeString(DATA.resolve("catalogue-c.jsonl"), "{\"text\": \"e f\"}\n");
    String a =
        (String)
            upload(client, "/v1/datasets", first, "sst2 calib", "{\"team\":\"nlp\",\"run\":\"1\"}")
                .getBody()
                .get("id");
    String b =
        (String)
            upload(client, "/v1/datasets", second, "sst2 calib", "{\"team\":\"nlp\",\"run\":\"2\"}")
                .getBody()
                .get("id");
    String c = (String) upload(client, "/v1/datasets", third, null, null).getBody().get("id");

    assertThat(ids(list(client, "/v1/datasets"))).containsExactly(c, b, a);
    assertThat(ids(list(client, "/v1/datasets?name=sst2 calib"))).containsExactly(b, a);
    assertThat(ids(list(client, "/v1/datasets?label=team=nlp&label=run=1"))).containsExactly(a);
    assertThat(ids(list(client, "/v1/datasets?label=team=vision"))).isEmpty();
    Map<String, Object> paged = list(client, "/v1/datasets?size=2&page=1");
    assertThat(ids(paged)).containsExactly(a);
    assertThat(paged).containsEntry("totalItems", 3).containsEntry("totalPages", 2);
    Map<String, Object> view =
        (Map<String, Object>) ((List) list(client, "/v1/datasets?label=run=2").get("items")).get(0);
    assertThat(view)
        .containsEntry("name", "sst2 calib")
        .containsEntry("labels", Map.of("run", "2", "team", "nlp"))
        .containsKey("createdAt");

    // the same bytes again: the same dataset, keeping what it was first given
    ResponseEntity<Map> again = upload(client, "/v1/datasets", first, "other", "{\"x\":\"y\"}");
    assertThat(again.getStatusCode().value()).isEqualTo(200);
    assertThat(again.getBody()).containsEntry("id", a).containsEntry("name", "sst2 calib");

    // merge patch: a label set, one removed, the name changed; nothing else may change
    Map<String, Object> patched =
        patch(
                client,
                "/v1/datasets/" + a,
                "{\"name\": \"sst2 v2\", \"labels\": {\"run\": null, \"stage\": \"prod\"}}")
            .getBody();
    assertThat(patched)
        .containsEntry("name", "sst2 v2")
        .containsEntry("labels", Map.of("team", "nlp", "stage", "prod"));
    assertThat(ids(list(client, "/v1/datasets?label=stage=prod"))).containsExactly(a);
    ResponseEntity<Map> refused = patch(client, "/v1/datasets/" + a, "{\"rows\": 7}");
    assertThat(refused.getStatusCode().value()).isEqualTo(422);
    assertThat((String) refused.getBody().get("detail")).contains("'rows' cannot be changed");

    // another tenant sees none of them, and cannot patch them
    RestClient other = tenant("catalogue-other");
    assertThat(ids(list(other, "/v1/datasets?name=sst2 v2"))).isEmpty();
    assertThat(patch(other, "/v1/datasets/" + a, "{\"name\": \"x\"}").getStatusCode().value())
        .isEqualTo(404);
  }

  @Test
  void modelsCarryLabelsFromTheirUploadAndBadLabelsAreNamed() throws Exception {
    RestClient client = tenant("catalogue-models");
    ResponseEntity<Map> uploaded =
        upload(
            client,
            "/v1/models",
            exampleModelArchive(),
            "org/tiny-bert",
            "{\"family\":\"bert\",\"stage\":\"base\"}");
    String id = (String) uploaded.getBody().get("id");
    assertThat(uploaded.getBody())
        .containsEntry("labels", Map.of("family", "bert", "stage", "base"));
    assertThat(ids(list(client, "/v1/models?name=org/tiny-bert&label=family=bert")))
        .containsExactly(id);
    Map<String, Object> cleared =
        patch(client, "/v1/models/" + id, "{\"name\": null, \"labels\": null}").getBody();
    assertThat(cleared).containsEntry("name", null).containsEntry("labels", Map.of());

    Path calib = Fixtures.tinyBert().resolve("calib.jsonl");
    for (String[] bad :
        new String[][] {
          {"[1, 2]", "labels must be a JSON object"},
          {"{\"team\": 7}", "labels 'team' must be a string"},
          {"{\"-x\": \"y\"}", "key '-x' must be 1 to 63 letters"},
          {"{\"k\": \"" + "v".repeat(257) + "\"}", "a value is at most 256 characters"}
        }) {
      ResponseEntity<Map> response = upload(client, "/v1/datasets", calib, null, bad[0]);
      assertThat(response.getStatusCode().value()).as(bad[0]).isEqualTo(422);
      assertThat((String) response.getBody().get("detail")).as(bad[0]).contains(bad[1]);
    }
    var filter = client.get().uri("/v1/models?label=nokey").retrieve().toEntity(Map.class);
    assertThat(filter.getStatusCode().value()).isEqualTo(400);
    assertThat((String) filter.getBody().get("detail")).contains("must be key=value");
  }

  @Test
  void theSameFilesArchivedAgainAreTheSameModelStoredOnce() throws Exception {
    RestClient client = tenant("catalogue-identity");
    Path first = exampleModelArchive();
    ResponseEntity<Map> stored = upload(client, "/v1/models", first, null, null);
    assertThat(stored.getStatusCode().value()).isEqualTo(201);
    // the same files, touched and archived under another top directory: other archive bytes
    Path staging = Files.createTempDirectory(DATA, "rearchived");
    Path top = Files.createDirectories(staging.resolve("another-top"));
    for (String name : Fixtures.TINY_BERT_FILES) { // the files exampleModelArchive() holds
      Path copy = Files.copy(Fixtures.tinyBert().resolve(name), top.resolve(name));
      Files.setLastModifiedTime(copy, FileTime.fromMillis(86_400_000L));
    }
    Path again = DATA.resolve("rearchived.tar.gz");
    Archives.tarGz(top, "another-top", again);
    assertThat(ArtifactStore.sha256(again)).isNotEqualTo(ArtifactStore.sha256(first));
    ResponseEntity<Map> same = upload(client, "/v1/models", again, null, null);
    assertThat(same.getStatusCode().value()).as("the same content").isEqualTo(200);
    assertThat(same.getBody())
        .containsEntry("id", stored.getBody().get("id"))
        .containsEntry("sha256", stored.getBody().get("sha256"))
        .containsEntry("archiveSha256", ArtifactStore.sha256(first));
    assertThat(stored.getBody().get("sha256"))
        .as("the identity is the files', not the archive's")
        .isNotEqualTo(ArtifactStore.sha256(first));
    assertThat(list(client, "/v1/models")).containsEntry("totalItems", 1);
  }
}

# headprune image. VARIANT=cpu (default) ships PyTorch for the CPU on a JRE; VARIANT=cuda ships
# the CUDA 12.8 build of libtorch on NVIDIA's CUDA 12.8 runtime, where DJL finds libcudart.
#   docker build -t headprune .
#   docker build --build-arg VARIANT=cuda -t headprune:cuda .
ARG VARIANT=cpu

FROM maven:3.9-eclipse-temurin-17 AS build
ARG VARIANT
WORKDIR /src
COPY pom.xml mvnw ./
COPY .mvn .mvn
RUN ./mvnw -B -q dependency:go-offline $( [ "$VARIANT" = cuda ] && echo -Pcuda )
COPY src src
RUN ./mvnw -B -q package -DskipTests $( [ "$VARIANT" = cuda ] && echo -Pcuda ) \
 && java -Djarmode=tools -jar target/headprune.jar extract --destination target/app

FROM eclipse-temurin:17-jre-jammy AS runtime-cpu

FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04 AS runtime-cuda
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*

FROM runtime-${VARIANT}
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 headprune \
 && useradd --system --uid 10001 --gid headprune --home-dir /app headprune \
 && mkdir -p /app /data /var/cache/djl \
 && chown -R headprune:headprune /data /var/cache/djl
# the jar extracted (classes load from plain jars, not nested ones) and a class-data-sharing
# archive made by this image's own JVM on a short score run: about half of a CLI run's start-up
COPY --from=build /src/target/app /app
COPY --from=build /src/src/test/resources/fixtures/tiny-bert-order /tmp/cds-model
ENV DJL_OFFLINE=true \
    DJL_CACHE_DIR=/var/cache/djl \
    HEADPRUNE_DATA_DIR=/data \
    HEADPRUNE_ROLE=both \
    SERVER_PORT=8080 \
    OMP_WAIT_POLICY=PASSIVE \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75"
RUN java -XX:ArchiveClassesAtExit=/app/headprune.jsa -jar /app/headprune.jar score \
      --model /tmp/cds-model --data /tmp/cds-model/calib.jsonl --json --quiet > /dev/null \
 && rm -rf /tmp/cds-model \
 && chown -R headprune:headprune /var/cache/djl
USER headprune
WORKDIR /app
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD curl -fsS http://localhost:8080/actuator/health/liveness || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["java", "-XX:SharedArchiveFile=/app/headprune.jsa", "-jar", "/app/headprune.jar"]

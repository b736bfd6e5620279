#!/usr/bin/env bash
# Temporal's time-skipping test server for tests of timers (`@temporalio/testing`'s
# TestWorkflowEnvironment.createTimeSkipping), provisioned once into FRESHCHAIN_HOME: the Java
# server io.temporal:temporal-test-server from Maven Central (checksums enforced) and a wrapper,
# $FRESHCHAIN_HOME/bin/temporal-test-server PORT, that tests start as an `existing-path`
# executable. (The SDK would otherwise download a native build from temporal.download at test
# time.) Usage: install | path. Needs Java 17+ and Maven, installed from Debian when missing.
source "$(dirname "$0")/lib/common.sh"

TTS_VERSION=1.38.0
TTS_LIB="$FRESHCHAIN_HOME/lib/temporal-test-server-$TTS_VERSION"
TTS_BIN="$FC_BIN/temporal-test-server"
TTS_LOG="$FC_LOGS/temporal-test-server.log"

installed() {
  [[ -x "$TTS_BIN" && -f "$TTS_LIB/temporal-test-server-$TTS_VERSION.jar" ]] && grep -q "$TTS_LIB" "$TTS_BIN"
}

install() {
  installed && return 0
  command -v java >/dev/null && command -v mvn >/dev/null || apt_install default-jre-headless maven
  log "temporal-test-server: fetching io.temporal:temporal-test-server:$TTS_VERSION and its dependencies (once)"
  local work; work="$(mktemp -d)"
  cat > "$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>freshchain</groupId><artifactId>temporal-test-server-fetch</artifactId><version>1</version>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>$TTS_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
  rm -rf "$TTS_LIB.partial"
  (cd "$work" && mvn -B -q -C dependency:copy-dependencies -DoutputDirectory="$TTS_LIB.partial") >>"$TTS_LOG" 2>&1 \
    || { rm -rf "$work" "$TTS_LIB.partial"; die "temporal-test-server: Maven could not fetch it (see $TTS_LOG)"; }
  rm -rf "$work" "$TTS_LIB"
  mv "$TTS_LIB.partial" "$TTS_LIB"
  # The SDK runs `<executable> PORT`; the server logs go to our log, not the test's output.
  cat > "$TTS_BIN" <<WRAPPER
#!/bin/sh
# Temporal's time-skipping test server $TTS_VERSION (deploy/temporal-test-server.sh).
exec java -XX:+UseSerialGC -Xss512k -cp "$TTS_LIB/*" io.temporal.testserver.TestServer "\$@" >>"$TTS_LOG" 2>&1
WRAPPER
  chmod +x "$TTS_BIN"
  log "temporal-test-server: $TTS_BIN"
}

path() { installed || die "temporal-test-server: not installed; run \`npm run setup\`"; echo "$TTS_BIN"; }

case "${1:-install}" in
  install) install ;;
  path) path ;;
  *) die "usage: $0 install | path" ;;
esac

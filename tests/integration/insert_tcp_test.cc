// strata-insert's TCP listeners (Graphite plaintext, OpenTSDB telnet put, Influx line
// protocol) with real sockets in front of a real storage node: lines in, series
// found on the node; bad lines counted while the connection stays open; a flush on
// close and at SIGTERM.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "libs/http/http_client.h"
#include "tests/integration/test_cluster.h"

using namespace strata;
using namespace strata::testing;

namespace {

// A blocking loopback TCP client.
class LineClient {
 public:
  explicit LineClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~LineClient() { Close(); }
  bool connected() const { return connected_; }
  bool Send(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      s.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// Polls the node until `ms` finds `want` series (or 10 s pass).
SeriesSamples WaitForSeries(StorageNodeProcess& node, const Matchers& ms, size_t want, int64_t mint, int64_t maxt) {
  SeriesSamples got;
  for (int i = 0; i < 100; ++i) {
    got = SearchNode(node.stub.get(), ms, mint, maxt);
    if (got.size() >= want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return got;
}

std::string Metrics(int http_port) {
  http::HttpClient client("127.0.0.1", http_port, absl::Seconds(5));
  auto resp = client.Get("/metrics");
  return resp.ok() ? resp->body : "";
}

// Polls insert's /metrics until it holds every one of `lines` (or 10 s pass), and
// returns the last answer. A node can show rows before insert has counted them: the
// counters move when the storage call's answer is back.
std::string WaitForMetrics(int http_port, const std::vector<std::string>& lines) {
  std::string metrics;
  for (int i = 0; i < 100; ++i) {
    metrics = Metrics(http_port);
    if (std::all_of(lines.begin(), lines.end(),
                    [&](const std::string& l) { return metrics.find(l) != std::string::npos; })) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return metrics;
}

}  // namespace

TEST_CASE("TCP listeners: Graphite, OpenTSDB telnet and Influx lines reach the storage node") {
  StorageNodeProcess node;
  REQUIRE(node.proc->Start().ok());
  const int graphite = FreePort(), opentsdb = FreePort(), influx = FreePort();
  InsertProcess insert({&node}, {"--graphite-listen=127.0.0.1:" + std::to_string(graphite),
                                 "--opentsdb-listen=127.0.0.1:" + std::to_string(opentsdb),
                                 "--influx-listen=127.0.0.1:" + std::to_string(influx),
                                 "--tcp-flush-interval=200ms"});
  REQUIRE(insert.proc->Start().ok());
  const int64_t now_s = NowMs() / 1000 - 60;
  const int64_t mint = (now_s - 10) * 1000, maxt = (now_s + 10) * 1000;

  SECTION("graphite: bad lines are counted and the connection keeps working") {
    LineClient c(graphite);
    REQUIRE(c.connected());
    const std::string ts = std::to_string(now_s);
    REQUIRE(c.Send("tcp.test.cpu;host=a 1.5 " + ts + "\n"));
    REQUIRE(c.Send("this line has no value\n"));
    // A line split over two writes is parsed once complete.
    REQUIRE(c.Send("tcp.test.cpu;host=b 2."));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(c.Send("5 " + ts + "\n"));
    SeriesSamples got = WaitForSeries(node, {Eq("__name__", "tcp_test_cpu")}, 2, mint, maxt);
    REQUIRE(got.size() == 2);
    CHECK(got["tcp_test_cpu{host=\"a\"}"] == std::vector<Sample>{{now_s * 1000, 1.5}});
    CHECK(got["tcp_test_cpu{host=\"b\"}"] == std::vector<Sample>{{now_s * 1000, 2.5}});
    // Same connection, after the bad line, still accepted.
    REQUIRE(c.Send("tcp.test.cpu;host=c 3 " + ts + "\n"));
    got = WaitForSeries(node, {Eq("__name__", "tcp_test_cpu")}, 3, mint, maxt);
    CHECK(got.size() == 3);
    const std::string rejected = "strata_insert_rows_rejected_total{reason=\"parse_error\"} 1";
    const std::string ingested = "strata_insert_samples_ingested_total{protocol=\"graphite_tcp\"} 3";
    std::string metrics = WaitForMetrics(insert.http_port, {rejected, ingested});
    CHECK(metrics.find(rejected) != std::string::npos);
    CHECK(metrics.find(ingested) != std::string::npos);
  }

  SECTION("opentsdb telnet put, last line without newline flushed on close") {
    LineClient c(opentsdb);
    REQUIRE(c.connected());
    REQUIRE(c.Send("put tsdb.load " + std::to_string(now_s) + " 0.25 host=x dc=eu\n"));
    REQUIRE(c.Send("put tsdb.load " + std::to_string(now_s) + " 0.75 host=y dc=eu"));
    c.Close();
    SeriesSamples got = WaitForSeries(node, {Eq("__name__", "tsdb_load")}, 2, mint, maxt);
    REQUIRE(got.size() == 2);
    CHECK(got["tsdb_load{dc=\"eu\", host=\"x\"}"] == std::vector<Sample>{{now_s * 1000, 0.25}});
    CHECK(got["tsdb_load{dc=\"eu\", host=\"y\"}"] == std::vector<Sample>{{now_s * 1000, 0.75}});
  }

  SECTION("influx line protocol over TCP, many connections at once") {
    std::vector<std::thread> senders;
    std::atomic<int> sent{0};
    for (int w = 0; w < 4; ++w) {
      senders.emplace_back([&, w] {
        LineClient c(influx);
        std::string lines;
        for (int i = 0; i < 250; ++i) {
          lines += "tcpinflux,conn=" + std::to_string(w) + ",i=" + std::to_string(i) + " value=" + std::to_string(i) +
                   " " + std::to_string(now_s) + "000000000\n";
        }
        if (c.connected() && c.Send(lines)) ++sent;
      });
    }
    for (auto& t : senders) t.join();
    REQUIRE(sent == 4);
    SeriesSamples got = WaitForSeries(node, {Eq("__name__", "tcpinflux_value")}, 1000, mint, maxt);
    REQUIRE(got.size() == 1000);
    CHECK(got["tcpinflux_value{conn=\"3\", i=\"7\"}"] == std::vector<Sample>{{now_s * 1000, 7}});
  }

  SECTION("an over-long line is skipped to its end, counted once, and the next line is stored") {
    const int port = FreePort();
    InsertProcess small({&node}, {"--graphite-listen=127.0.0.1:" + std::to_string(port), "--tcp-max-line-bytes=1000",
                                  "--tcp-flush-interval=100ms"});
    REQUIRE(small.proc->Start().ok());
    LineClient c(port);
    REQUIRE(c.connected());
    // Sent in pieces so that the listener sees the line grow past the limit twice.
    REQUIRE(c.Send("long.metric;tag=" + std::string(900, 'x')));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(c.Send(std::string(3000, 'y')));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(c.Send(std::string(3000, 'z') + " 1 " + std::to_string(now_s) + "\n"));
    REQUIRE(c.Send("after.long 7 " + std::to_string(now_s) + "\n"));
    SeriesSamples got = WaitForSeries(node, {Eq("__name__", "after_long")}, 1, mint, maxt);
    CHECK(got["after_long"] == std::vector<Sample>{{now_s * 1000, 7}});
    CHECK(SearchNode(node.stub.get(), {Eq("__name__", "long_metric")}, mint, maxt).empty());
    std::string metrics = Metrics(small.http_port);
    CHECK(metrics.find("strata_insert_rows_rejected_total{reason=\"line_too_long\"} 1\n") != std::string::npos);
  }

  SECTION("SIGTERM flushes rows still pending on an open connection") {
    const int port = FreePort();
    InsertProcess slow({&node}, {"--graphite-listen=127.0.0.1:" + std::to_string(port), "--tcp-flush-interval=1h"});
    REQUIRE(slow.proc->Start().ok());
    LineClient c(port);
    REQUIRE(c.connected());
    REQUIRE(c.Send("pending.metric 42 " + std::to_string(now_s) + "\n"));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(SearchNode(node.stub.get(), {Eq("__name__", "pending_metric")}, mint, maxt).empty());
    CHECK(slow.proc->Stop());
    SeriesSamples got = SearchNode(node.stub.get(), {Eq("__name__", "pending_metric")}, mint, maxt);
    CHECK(got["pending_metric"] == std::vector<Sample>{{now_s * 1000, 42}});
  }
}

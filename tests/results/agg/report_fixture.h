// The fixture of the roll-up tests (tests/results/agg/aggregator_test.cc and
// shadowserver_csv_test.cc): a synthetic record file of `hosts` hosts with its truth and geo
// database, in a temporary directory. Single-threaded test code.
#ifndef MAILSWEEP_TESTS_RESULTS_AGG_REPORT_FIXTURE_H_
#define MAILSWEEP_TESTS_RESULTS_AGG_REPORT_FIXTURE_H_

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <utility>

#include "results/agg/geo.h"
#include "results/agg/synthetic.h"
#include "tests/results/test_util.h"

namespace mailsweep::results::testing {

struct Fixture {
  TempDir dir;
  SyntheticOptions options;
  SyntheticTruth truth;
  std::unique_ptr<GeoDb> geo;

  explicit Fixture(uint64_t hosts) {
    options.hosts = hosts;
    REQUIRE(WriteSyntheticFile(dir.File("a.msr"), options, &truth).ok());
    auto g = GeoDb::FromCsvText(SyntheticGeoCsv(options));
    REQUIRE(g.ok());
    geo = *std::move(g);
  }
};

}  // namespace mailsweep::results::testing

#endif  // MAILSWEEP_TESTS_RESULTS_AGG_REPORT_FIXTURE_H_

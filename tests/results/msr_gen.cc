// msr_gen: writes a synthetic record file and its geo CSV (results/agg/synthetic.h) for the
// mailsweep-agg command tests, and prints the expected "without TLS" totals per protocol.
// Usage: msr_gen OUT.msr GEO.csv HOSTS [SEED [sweeps]]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "results/agg/synthetic.h"

int main(int argc, char** argv) {
  using namespace mailsweep::results;
  if (argc < 4) {
    fprintf(stderr, "usage: msr_gen OUT.msr GEO.csv HOSTS [SEED]\n");
    return 2;
  }
  SyntheticOptions o;
  o.hosts = strtoull(argv[3], nullptr, 10);
  if (argc > 4) o.seed = strtoull(argv[4], nullptr, 10);
  o.sweeps = argc > 5 && std::string(argv[5]) == "sweeps";
  SyntheticTruth truth;
  if (absl::Status s = WriteSyntheticFile(argv[1], o, &truth); !s.ok()) {
    fprintf(stderr, "msr_gen: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::ofstream(argv[2]) << SyntheticGeoCsv(o);
  printf("records %llu\n", static_cast<unsigned long long>(truth.records));
  const char* names[] = {"pop3", "imap", "smtp"};
  for (int p = 0; p < kMailProtocols; ++p) {
    printf("without_tls %s %llu\n", names[p],
           static_cast<unsigned long long>(truth.without_tls[p]));
  }
  return 0;
}

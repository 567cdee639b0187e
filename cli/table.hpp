// `Table`: prints rows as aligned columns under a header (the `agora agents` look).
// Thread-compatible value type.
#pragma once

#include <string>
#include <vector>

namespace agora::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

  // REQUIRES: `cells.size()` equals the number of headers (missing cells print empty).
  void addRow(std::vector<std::string> cells);

  // Each column as wide as its widest cell, two spaces between columns, no trailing spaces.
  std::string render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// A quantity for people: at most two decimals, no trailing zeros ("0.1", "4", "2.25").
std::string formatNumber(double value);

}  // namespace agora::cli

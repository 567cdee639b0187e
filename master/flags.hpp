// Command-line flags of agora-master (defined only in flags.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include "master/options.hpp"

namespace agora::master {

// Reads the parsed gflags once into options; an error names the bad flag.
StatusOr<MasterOptions> optionsFromFlags();
// "eng=3,batch=1" -> {eng: 3, batch: 1}; an error names the bad item.
StatusOr<std::map<std::string, double>> parseWeights(const std::string& text);
// Every flag and its value, for /flags.
nlohmann::json flagsJson();

}  // namespace agora::master

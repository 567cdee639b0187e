#!/usr/bin/env bash
# The SDK as an outside project sees it: install the build into a temporary prefix, then
# configure and build the hello framework with find_package(agora) and agora::sdk only.
set -euo pipefail
build_dir="$1"
source_dir="$2"
tmp="$(mktemp -d /tmp/agora-sdk-install-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build_dir" --prefix "$tmp/prefix" >/dev/null
mkdir -p "$tmp/outside"
cp "$source_dir/frameworks/examples/hello_framework.cpp" "$tmp/outside/"
cat > "$tmp/outside/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(outside LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(agora REQUIRED)
add_executable(hello hello_framework.cpp)
target_link_libraries(hello agora::sdk)
CMAKE
cmake -S "$tmp/outside" -B "$tmp/outside/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/outside/build" -j 2 >/dev/null
test -x "$tmp/outside/build/hello"
"$tmp/outside/build/hello" --help >/dev/null 2>&1 || true
echo "sdk_install_test: an outside project built against the installed SDK"

#pragma once
// Machine output of the fillwire CLI (docs/CLI.md): with --json, stdout carries JSON Lines (one
// object per line) and nothing else; human notices go to stderr. Each object names where in the
// input it comes from ("line" in a file of frames, "record" in a journal) and, for an error, the
// documented code (README, "Decoding rules"), never prose alone.
// Thread contract: cold path, main thread.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string_view>

#include "fillwire/decoder.hpp"
#include "fillwire/detail/frame_reader.hpp"

namespace fillwire::cli {

using Json = nlohmann::ordered_json;

// The documented code of a decode error: the enumerator's name ("wrong_type").
[[nodiscard]] std::string_view error_code(DecodeErrc e) noexcept;

// {"line": n} for a file of frames, {"record": n} for a journal.
[[nodiscard]] Json located(const FrameReader& reader, std::uint64_t number);

// `where` plus "error" (the code), "field" (when one is named: a myOrder or a myAsset field),
// "asset_index" (the element of a myAsset frame's `assets` at fault) and "element" (a list
// frame's element, when others of it were published).
[[nodiscard]] Json decode_error_json(Json where, const FrameResult& r);

// The decoder's errors by code, only those that occurred: {"wrong_type": 1, ...}.
[[nodiscard]] Json errors_by_code(const DecoderStats& s);

// One object, one line on stdout (text that is not UTF-8 replaced with U+FFFD).
void print_line(const Json& j);

}  // namespace fillwire::cli

#include "document.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include "faultline/experiment/load_error.h"

namespace faultline::experiment {

LoadError::LoadError(std::string file, int line, std::string message)
    : std::runtime_error(line > 0 ? file + ":" + std::to_string(line) + ": " + message
                                  : file + ": " + message),
      file_(std::move(file)),
      line_(line),
      message_(std::move(message)) {}

namespace {

std::string escape_token(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

// Walks JSON text that nlohmann already accepted and records the line where
// each value (or, for object members, its key) starts.
class JsonLineScanner {
 public:
  JsonLineScanner(std::string_view text, std::unordered_map<std::string, int>* lines)
      : s_(text), lines_(lines) {}

  void run() {
    skip_ws();
    value("");
  }

 private:
  void skip_ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) {
      if (s_[i_] == '\n') ++line_;
      ++i_;
    }
  }

  std::string string_token() {
    const std::size_t start = i_;
    ++i_;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\') ++i_;
      ++i_;
    }
    ++i_;
    return Json::parse(s_.substr(start, i_ - start)).get<std::string>();
  }

  void value(const std::string& ptr) {
    if (lines_->find(ptr) == lines_->end()) (*lines_)[ptr] = line_;
    if (i_ >= s_.size()) return;
    const char c = s_[i_];
    if (c == '{') {
      ++i_;
      skip_ws();
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        return;
      }
      while (i_ < s_.size()) {
        skip_ws();
        const int key_line = line_;
        const std::string child = ptr + "/" + escape_token(string_token());
        (*lines_)[child] = key_line;
        skip_ws();
        ++i_;  // ':'
        skip_ws();
        value(child);
        skip_ws();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        ++i_;  // '}'
        return;
      }
    } else if (c == '[') {
      ++i_;
      skip_ws();
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        return;
      }
      for (std::size_t index = 0; i_ < s_.size(); ++index) {
        skip_ws();
        value(ptr + "/" + std::to_string(index));
        skip_ws();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        ++i_;  // ']'
        return;
      }
    } else if (c == '"') {
      string_token();
    } else {
      while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' &&
             !std::isspace(static_cast<unsigned char>(s_[i_])))
        ++i_;
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
  int line_ = 1;
  std::unordered_map<std::string, int>* lines_;
};

int line_at_byte(std::string_view text, std::size_t byte) {
  int line = 1;
  for (std::size_t i = 0; i < byte && i < text.size(); ++i)
    if (text[i] == '\n') ++line;
  return line;
}

// YAML 1.2 core schema for plain (unquoted) scalars.
Json plain_scalar(const std::string& v) {
  if (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL") return nullptr;
  if (v == "true" || v == "True" || v == "TRUE") return true;
  if (v == "false" || v == "False" || v == "FALSE") return false;
  if (v == ".inf" || v == "+.inf" || v == ".Inf") return HUGE_VAL;
  if (v == "-.inf" || v == "-.Inf") return -HUGE_VAL;
  std::size_t i = (v[0] == '-' || v[0] == '+') ? 1 : 0;
  if (i < v.size() && v.compare(i, 2, "0x") == 0 && v.size() > i + 2) {
    try {
      std::size_t used = 0;
      const long long n = std::stoll(v.substr(i + 2), &used, 16);
      if (used == v.size() - i - 2) return v[0] == '-' ? Json(-n) : Json(static_cast<std::uint64_t>(n));
    } catch (const std::exception&) {
    }
    return v;
  }
  bool all_digits = i < v.size();
  for (std::size_t k = i; k < v.size(); ++k)
    all_digits = all_digits && std::isdigit(static_cast<unsigned char>(v[k]));
  if (all_digits) {
    // Non-negative integers are unsigned, as nlohmann's JSON parser makes them.
    try {
      if (v[0] == '-') return static_cast<std::int64_t>(std::stoll(v));
      return static_cast<std::uint64_t>(std::stoull(v));
    } catch (const std::exception&) {
      return std::stod(v);
    }
  }
  // float: digits with one '.', an optional exponent
  bool seen_digit = false, seen_dot = false, ok = i < v.size();
  std::size_t k = i;
  for (; k < v.size() && ok; ++k) {
    const char c = v[k];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      seen_digit = true;
    } else if (c == '.' && !seen_dot) {
      seen_dot = true;
    } else if ((c == 'e' || c == 'E') && seen_digit) {
      std::size_t e = k + 1;
      if (e < v.size() && (v[e] == '+' || v[e] == '-')) ++e;
      if (e >= v.size()) ok = false;
      for (; e < v.size() && ok; ++e) ok = std::isdigit(static_cast<unsigned char>(v[e])) != 0;
      k = v.size();
      break;
    } else {
      ok = false;
    }
  }
  if (ok && seen_digit) return std::stod(v);
  return v;
}

Json from_yaml(const YAML::Node& node, const std::string& ptr, std::unordered_map<std::string, int>* lines) {
  const int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  if (line > 0 && lines->find(ptr) == lines->end()) (*lines)[ptr] = line;
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      if (node.Tag() == "!") return node.Scalar();  // quoted
      return plain_scalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      std::size_t index = 0;
      for (const auto& item : node)
        out.push_back(from_yaml(item, ptr + "/" + std::to_string(index++), lines));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node) {
        const std::string key = kv.first.as<std::string>();
        const std::string child = ptr + "/" + escape_token(key);
        if (kv.first.Mark().line >= 0) (*lines)[child] = kv.first.Mark().line + 1;
        out[key] = from_yaml(kv.second, child, lines);
      }
      return out;
    }
  }
  return nullptr;
}

}  // namespace

Document Document::load_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw LoadError(path.string(), 0, "cannot read the file (does it exist?)");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string ext = path.extension().string();
  Format format = Format::kAuto;
  if (ext == ".json") format = Format::kJson;
  if (ext == ".yaml" || ext == ".yml") format = Format::kYaml;
  return parse(buffer.str(), path.string(), format);
}

Document Document::parse(std::string_view text, std::string file_name, Format format) {
  Document doc;
  doc.file_ = std::move(file_name);
  if (format == Format::kAuto) {
    std::size_t i = 0;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    format = (i < text.size() && text[i] == '{') ? Format::kJson : Format::kYaml;
  }
  if (format == Format::kJson) {
    try {
      doc.root_ = Json::parse(text);
    } catch (const Json::parse_error& e) {
      // nlohmann's text is "[json.exception.parse_error.N] parse error at line L, column C: WHAT".
      std::string what = e.what();
      const auto col = what.find("column ");
      const auto colon = col == std::string::npos ? std::string::npos : what.find(": ", col);
      if (colon != std::string::npos) what = what.substr(colon + 2);
      throw LoadError(doc.file_, line_at_byte(text, e.byte > 0 ? e.byte - 1 : 0),
                      "JSON syntax error: " + what);
    }
    JsonLineScanner(text, &doc.lines_).run();
  } else {
    YAML::Node node;
    try {
      node = YAML::Load(std::string(text));
    } catch (const YAML::ParserException& e) {
      throw LoadError(doc.file_, e.mark.line >= 0 ? e.mark.line + 1 : 0, "YAML syntax error: " + e.msg);
    } catch (const YAML::Exception& e) {
      throw LoadError(doc.file_, e.mark.line >= 0 ? e.mark.line + 1 : 0, "YAML error: " + e.msg);
    }
    try {
      doc.root_ = from_yaml(node, "", &doc.lines_);
    } catch (const YAML::Exception& e) {
      throw LoadError(doc.file_, e.mark.line >= 0 ? e.mark.line + 1 : 0,
                      "YAML error: " + e.msg + " (mapping keys must be scalars)");
    }
  }
  return doc;
}

int Document::line_of(const JsonPointer& at) const {
  JsonPointer p = at;
  while (true) {
    const auto it = lines_.find(p.to_string());
    if (it != lines_.end()) return it->second;
    if (p.empty()) return 0;
    p = p.parent_pointer();
  }
}

void Document::fail(const JsonPointer& at, const std::string& message) const {
  throw LoadError(file_, line_of(at), message);
}

std::string describe_pointer(const JsonPointer& at) {
  std::string out;
  std::string s = at.to_string();
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t next = s.find('/', i + 1);
    std::string token = s.substr(i + 1, next == std::string::npos ? std::string::npos : next - i - 1);
    for (std::size_t k; (k = token.find("~1")) != std::string::npos;) token.replace(k, 2, "/");
    for (std::size_t k; (k = token.find("~0")) != std::string::npos;) token.replace(k, 2, "~");
    const bool index = !token.empty() && token.find_first_not_of("0123456789") == std::string::npos;
    if (index)
      out += "[" + token + "]";
    else
      out += (out.empty() ? "" : ".") + token;
    if (next == std::string::npos) break;
    i = next;
  }
  return out.empty() ? "the document" : out;
}

}  // namespace faultline::experiment

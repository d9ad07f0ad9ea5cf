#include "fillwire/auth.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <set>
#include <stdexcept>

#include "../support/frames.hpp"

namespace fillwire {
namespace {

TEST(Auth, TokensMatchAnIndependentImplementation) {
  // tests/data/jwt-vectors.json is made by PyJWT (tests/data/make_jwt_vectors.py).
  const auto vectors = nlohmann::json::parse(test::read_file("jwt-vectors.json"));
  ASSERT_GE(vectors.size(), 4u);
  for (const auto& v : vectors) {
    const Credentials c{v["access_key"].get<std::string>(),
                        Secret(v["secret_key"].get<std::string>())};
    EXPECT_EQ(
        make_token_with_nonce(c, v["nonce"].get<std::string>(), v["query"].get<std::string>()),
        v["token"].get<std::string>())
        << "vector for access key " << v["access_key"];
  }
}

TEST(Auth, Base64UrlHasNoPaddingAndUrlAlphabet) {
  EXPECT_EQ(base64url(""), "");
  EXPECT_EQ(base64url("f"), "Zg");
  EXPECT_EQ(base64url("fo"), "Zm8");
  EXPECT_EQ(base64url("foo"), "Zm9v");
  EXPECT_EQ(base64url("\xfb\xff"), "-_8");
}

TEST(Auth, Sha512OfQueryString) {
  // RFC 6234 test vector "abc".
  EXPECT_EQ(sha512_hex("abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(Auth, NoncesAreFreshVersion4Uuids) {
  // xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx, lower-case hex.
  const auto is_v4 = [](const std::string& n) {
    if (n.size() != 36) return false;
    for (std::size_t i = 0; i < n.size(); ++i) {
      const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
      const char c = n[i];
      if (dash != (c == '-')) return false;
      if (!dash && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return n[14] == '4' && (n[19] == '8' || n[19] == '9' || n[19] == 'a' || n[19] == 'b');
  };
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string n = new_nonce();
    ASSERT_TRUE(is_v4(n)) << n;
    ASSERT_TRUE(seen.insert(n).second) << "repeated nonce";
  }
  const Credentials c{"a", Secret("s")};
  EXPECT_NE(make_token(c), make_token(c));
}

class KeyFile : public ::testing::Test {
 protected:
  std::string path = ::testing::TempDir() + "fillwire-keys-test";
  void write(const std::string& text, mode_t mode) {
    std::remove(path.c_str());
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
  }
  // The error that refuses the key file; a failure (`accepted` says what was wrong) if none does.
  std::string refusal(const char* accepted) {
    try {
      (void)credentials_from_file(path);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    ADD_FAILURE() << accepted;
    return {};
  }
  void TearDown() override { std::remove(path.c_str()); }
};

TEST_F(KeyFile, ReadsAPrivateFile) {
  write("# keys\nUPBIT_ACCESS_KEY = ak\nUPBIT_SECRET_KEY=sk-value\n", 0600);
  const Credentials c = credentials_from_file(path);
  EXPECT_EQ(c.access_key, "ak");
  EXPECT_EQ(c.secret_key.reveal(), "sk-value");
}

TEST_F(KeyFile, RefusesAFileOthersCanRead) {
  write("UPBIT_ACCESS_KEY=ak\nUPBIT_SECRET_KEY=do-not-show-me\n", 0644);
  const std::string what = refusal("a group/world-readable key file was accepted");
  EXPECT_NE(what.find("chmod 600"), std::string::npos) << what;
  EXPECT_EQ(what.find("do-not-show-me"), std::string::npos) << "the secret leaked into an error";
}

TEST_F(KeyFile, ErrorsNeverQuoteValues) {
  // Each malformed line holds a secret-looking value somewhere: after a blank instead of '=',
  // run into the name with ':', pasted alone (base64 padding makes it NAME=VALUE), lower-case name.
  const struct {
    const char* line;
    const char* secret;
  } cases[] = {
      {"UPBIT_SECRET_KEY do-not-show-me", "do-not-show-me"},
      {"UPBIT_SECRET_KEY: sk-4f9a2b7c1d=", "4f9a2b7c1d"},
      {"c2VjcmV0LWtleS12YWx1ZQ==", "c2VjcmV0LWtleS12YWx1ZQ"},
      {"upbit_secret_key=lowercase-name-secret", "lowercase-name-secret"},
      {"export UPBIT_SECRET_KEY=exported-secret-9z", "exported-secret-9z"},
  };
  for (const auto& c : cases) {
    write(std::string("# keys\nUPBIT_ACCESS_KEY=ak\n") + c.line + "\n", 0600);
    const std::string what = refusal("a malformed key file was accepted");
    EXPECT_NE(what.find("line 3"), std::string::npos) << what;
    EXPECT_EQ(what.find(c.secret), std::string::npos) << "the secret leaked into an error";
    for (std::string_view part : {"UPBIT_SECRET_KEY:", "sk-", "upbit_secret", "export"})
      EXPECT_EQ(what.find(part), std::string::npos) << "part of the line was quoted: " << what;
  }
}

TEST(Auth, EnvironmentVariablesAreRequired) {
  ::unsetenv("UPBIT_ACCESS_KEY");
  ::setenv("UPBIT_SECRET_KEY", "x", 1);
  EXPECT_THROW((void)credentials_from_env(), std::runtime_error);
  ::setenv("UPBIT_ACCESS_KEY", "a", 1);
  const Credentials c = credentials_from_env();
  EXPECT_EQ(c.access_key, "a");
  EXPECT_EQ(c.secret_key.reveal(), "x");
  ::unsetenv("UPBIT_ACCESS_KEY");
  ::unsetenv("UPBIT_SECRET_KEY");
}

}  // namespace
}  // namespace fillwire

#include "tls_cert.hpp"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace fillwire::sim {
namespace {

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
void bio_free(BIO* b) {
  BIO_free(b);
}
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, bio_free>>;

void check(bool ok, const char* step) {
  if (!ok) throw std::runtime_error(std::string("self-signed certificate: ") + step + " failed");
}

bool add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

std::string drain(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

PemPair make_self_signed_certificate() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EC key generation");

  X509Ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  unsigned char serial[16];
  check(RAND_bytes(serial, sizeof serial) == 1, "RAND_bytes");
  serial[0] &= 0x7F;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  check(bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr,
        "serial");
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
  check(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("upbit-sim"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  check(X509_set_issuer_name(cert.get(), name) == 1, "X509_set_issuer_name");
  check(add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE"), "basicConstraints");
  check(add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign"),
        "keyUsage");
  check(add_extension(cert.get(), NID_ext_key_usage, "serverAuth"), "extendedKeyUsage");
  check(add_extension(cert.get(), NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"),
        "subjectAltName");
  check(add_extension(cert.get(), NID_subject_key_identifier, "hash"), "subjectKeyIdentifier");
  check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");

  PemPair out;
  BioPtr cb(BIO_new(BIO_s_mem()));
  check(cb && PEM_write_bio_X509(cb.get(), cert.get()) == 1, "PEM_write_bio_X509");
  out.certificate = drain(cb.get());
  BioPtr kb(BIO_new(BIO_s_mem()));
  check(kb && PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  out.private_key = drain(kb.get());
  return out;
}

}  // namespace fillwire::sim

// What a follower reads from a JetStream message's reply subject: the stream sequence (its
// position), when the server stored it and how many messages were still to come (its lag).

#include <gtest/gtest.h>

#include "nats/nats_link.hpp"

namespace fillwire::nats {
namespace {

TEST(NatsDelivery, TheOldFormGivesSequenceStoredTimeAndPending) {
  const Delivery d =
      delivery_of("$JS.ACK.FILLWIRE_desk-1.abc123.1.4711.4711.1733500000123456789.42");
  EXPECT_EQ(d.stream_seq, 4711u);
  EXPECT_EQ(d.stored_ns, 1733500000123456789u);
  EXPECT_EQ(d.pending, 42u);
}

TEST(NatsDelivery, TheNewFormWithDomainAndAccountHashAndATrailingToken) {
  const Delivery d =
      delivery_of("$JS.ACK.hub.ACCHASH.FILLWIRE_desk-1.abc123.2.99.98.1733500000000000001.0.tok");
  EXPECT_EQ(d.stream_seq, 99u);
  EXPECT_EQ(d.stored_ns, 1733500000000000001u);
  EXPECT_EQ(d.pending, 0u);
}

TEST(NatsDelivery, AnythingElseIsAllZero) {
  for (const char* reply :
       {"", "_INBOX.abc", "$JS.ACK.S.C.1.2.3", "$JS.ACK.S.C.1.x.3.4.5", "$JS.ACK.S.C.1.2.3.4.",
        "$JS.ACK.S.C.1.99999999999999999999.3.4.5", "$JS.ACK.S.C.1.2.3.4.5.6.7.8.9.10.11.12.13"}) {
    const Delivery d = delivery_of(reply);
    EXPECT_EQ(d.stream_seq, 0u) << reply;
    EXPECT_EQ(d.stored_ns, 0u) << reply;
    EXPECT_EQ(d.pending, 0u) << reply;
  }
}

}  // namespace
}  // namespace fillwire::nats

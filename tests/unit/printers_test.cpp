// The GoogleTest printers of support/printers.hpp: a failed expectation names enums, uuids and
// events instead of printing their bytes.

#include "../support/printers.hpp"

#include <gtest/gtest.h>

#include <string>

#include "fillwire/control_event.hpp"
#include "fillwire/order_event.hpp"
#include "fillwire/uuid.hpp"

namespace fillwire {
namespace {

using ::testing::PrintToString;

constexpr const char* kUuid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

TEST(Printers, EnumsPrintTheirNameAndNumber) {
  EXPECT_EQ(PrintToString(Side::bid), "BID (2)");
  EXPECT_EQ(PrintToString(OrderType::limit), "limit (1)");
  EXPECT_EQ(PrintToString(OrderState::done), "done (4)");
  EXPECT_EQ(PrintToString(TimeInForce::post_only), "post_only (3)");
  EXPECT_EQ(PrintToString(SmpType::cancel_taker), "cancel_taker (3)");
  EXPECT_EQ(PrintToString(StreamType::snapshot), "SNAPSHOT (2)");
  EXPECT_EQ(PrintToString(EventKind::control), "control (1)");
  EXPECT_EQ(PrintToString(EventOrigin::resync), "resync (1)");
  EXPECT_EQ(PrintToString(ControlCode::resynced), "resynced (3)");
  EXPECT_EQ(PrintToString(static_cast<OrderState>(200)), "unknown (200)");
}

TEST(Printers, UuidPrintsItsText) {
  Uuid u{};
  EXPECT_EQ(PrintToString(u), "nil");
  ASSERT_TRUE(Uuid::parse(kUuid, u));
  EXPECT_EQ(PrintToString(u), kUuid);
}

TEST(Printers, OrderEventPrintsWhatItIsAndItsFigures) {
  OrderEvent e{};
  e.kind = EventKind::order;
  e.origin = EventOrigin::stream;
  (void)e.code.assign("KRW-BTC");
  e.ask_bid = Side::ask;
  e.order_type = OrderType::limit;
  e.state = OrderState::trade;
  ASSERT_TRUE(Uuid::parse(kUuid, e.uuid));
  e.price = 100.5;
  e.volume = 2;
  e.executed_volume = 1;
  e.trades_count = 1;
  e.present = field_bit(Field::trade_uuid);
  ASSERT_TRUE(Uuid::parse(kUuid, e.trade_uuid));
  (void)e.identifier.assign("grid\n1");
  e.timestamp = 1700000000000;
  const std::string text = PrintToString(e);
  EXPECT_NE(text.find("{stream \"KRW-BTC\" ASK limit trade uuid=" + std::string(kUuid) +
                      " price=100.5 volume=2 executed=1 "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(" trades=1 trade=" + std::string(kUuid)), std::string::npos) << text;
  EXPECT_EQ(text.find('\n'), std::string::npos) << "the identifier is printed escaped: " << text;
  EXPECT_NE(text.find("ts=1700000000000"), std::string::npos) << text;
}

TEST(Printers, ControlEventPrintsItsCodeAndReason) {
  OrderEvent e{};
  make_control(e, ControlCode::rate_limited, 42, "banned", 3);
  e.origin = EventOrigin::stream;
  const std::string text = PrintToString(e);
  EXPECT_NE(text.find("control rate_limited reason=\"banned\" count=3 ts=42"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace fillwire

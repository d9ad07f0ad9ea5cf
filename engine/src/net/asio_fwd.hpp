#pragma once
// Forward declarations of the Boost.Asio types the network headers take by reference, so that a
// header naming them does not include Asio.
//
// Thread contract: declarations only.

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

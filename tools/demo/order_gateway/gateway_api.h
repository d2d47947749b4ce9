// The order gateway's HTTP API: what clients of the order service talk to.
//
//   POST /api/orders        an order (faultline/demo/order.h); without a
//                           client_order_id the gateway assigns one, then
//                           routes it (replica_router.h). The answering
//                           replica's status and body come back (201 with the
//                           trade id), with header X-Order-Replica naming it;
//                           503 when no replica took it; 400 for a bad order.
//   GET|POST /api/health    200 when some replica reports healthy, else 503:
//                           the order service's availability as its clients
//                           see it (the seed's check_order_service_availability).
//   GET /api/replicas       every replica's own health, for people.
#pragma once

#include <httplib.h>

#include "replica_router.h"

namespace faultline::demo {

void register_gateway_api(httplib::Server& server, ReplicaRouter& router);

}  // namespace faultline::demo

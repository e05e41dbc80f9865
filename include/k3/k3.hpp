// k3/k3.hpp: the whole C++ API of k3. Include this one header.
#ifndef K3_K3_HPP_
#define K3_K3_HPP_

#include "k3/db.h"
#include "k3/embedder.h"
#include "k3/events.h"
#include "k3/ingest.h"
#include "k3/json.h"
#include "k3/options.h"
#include "k3/pipelines.h"
#include "k3/sources.h"
#include "k3/status.h"
#include "k3/storage.h"
#include "k3/tables.h"
#include "k3/types.h"
#include "k3/vectors.h"
#include "k3/version.h"

#endif  // K3_K3_HPP_

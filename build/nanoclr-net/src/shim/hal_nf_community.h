// nanoclr-net: included by the TLS PAL next to hal.h; everything it needs is declared there.
#include "hal.h"

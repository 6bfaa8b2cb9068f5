// luks_driver.h: the raw LUKS v1 format (qemu's block/crypto.c "luks" driver) behind the driver
// interface: probe and info read the header without a key; every data access needs one, which
// instar does not take yet, so opening for I/O fails as qemu fails without `key-secret`.
#pragma once

#include "guest/abi/guest.npb.h"
#include "guest/formats/driver.h"
#include "guest/formats/luks/header.h"

namespace instar::luks {

// qcrypto_block_luks_get_info(): what info shows of a LUKS header (raw luks images, and a qcow2's
// encrypt block).
void fill_luks_info(const Header& header, instar_guest_ImageInfo* info);

// block_crypto_probe_luks(): the magic and version 1 score 100.
int probe(Bytes head);

extern const FormatDriver kLuksDriver;

}  // namespace instar::luks

# Guest operation sources (included by guest/CMakeLists.txt into both builds).
list(APPEND INSTAR_GUEST_SOURCES
  ops/run_op.cc
  ops/info.cc
  ops/check.cc
  ops/compare.cc
  ops/compare_buffers.cc
  ops/compare_image.cc
  ops/chain_backing.cc
  ops/convert.cc
  ops/convert_copy.cc
  ops/existing_qcow2_target.cc
  ops/create.cc
  ops/dd_copy.cc
  ops/in_place_image.cc
  ops/rebase.cc
  ops/commit.cc
  ops/amend.cc
  ops/resize.cc
  ops/input_chain.cc
  ops/map.cc
  ops/measure.cc
  ops/snapshot.cc
  ops/snapshot_load.cc
  ops/sparse_scan.cc)

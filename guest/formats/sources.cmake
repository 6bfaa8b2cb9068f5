# Guest format parser sources (included by guest/CMakeLists.txt into both builds).
list(APPEND INSTAR_GUEST_SOURCES
  formats/windowed_reader.cc
  formats/probe.cc
  formats/raw/partition_table.cc
  formats/raw/raw_writer.cc
  formats/luks/header.cc
  formats/qcow2/header.cc
  formats/qcow2/header_extensions.cc
  formats/qcow2/feature_names.cc
  formats/qcow2/snapshot_table.cc
  formats/qcow2/bitmap_directory.cc
  formats/qcow2/open.cc
  formats/qcow2/refcount_entries.cc
  formats/qcow2/subcluster_type.cc
  formats/qcow2/cluster_map.cc
  formats/qcow2/decompress.cc
  formats/qcow2/data_reader.cc
  formats/qcow2/create_options.cc
  formats/qcow2/header_writer.cc
  formats/qcow2/host_file.cc
  formats/qcow2/table_cache.cc
  formats/qcow2/refcount_allocator.cc
  formats/qcow2/compress.cc
  formats/qcow2/writer.cc
  formats/qcow2/measure_size.cc)

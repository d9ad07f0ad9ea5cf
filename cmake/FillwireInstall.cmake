# install() + exported package so that `find_package(fillwire CONFIG)` gives fillwire::engine.

include(CMakePackageConfigHelpers)

# Exported under the same names as the in-tree ALIAS targets: fillwire::engine, fillwire::decode...
foreach(_target IN LISTS FILLWIRE_EXPORTED_TARGETS ITEMS fillwire_warnings fillwire_options)
  string(REGEX REPLACE "^fillwire_" "" _export_name "${_target}")
  set_target_properties(${_target} PROPERTIES EXPORT_NAME ${_export_name})
endforeach()

install(TARGETS ${FILLWIRE_EXPORTED_TARGETS} fillwire_warnings fillwire_options
  EXPORT fillwireTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# Every public header, and the internals under detail/ that a public header holds by value; the
# internals no public header includes (and the test hooks) stay in the source tree.
install(DIRECTORY engine/include/fillwire DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  PATTERN "engine_test_access.hpp" EXCLUDE
  PATTERN "journal_event.hpp" EXCLUDE
  PATTERN "rest_orders.hpp" EXCLUDE)
install(EXPORT fillwireTargets
  NAMESPACE fillwire::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/fillwire)

configure_package_config_file(cmake/fillwireConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/fillwireConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/fillwire)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/fillwireConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/fillwireConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/fillwireConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/fillwire)

# `fillwire_package`: everything `cmake --install` copies, and nothing else (no test or benchmark),
# so the embedding example and the install checks can build the package without the suites.
add_custom_target(fillwire_package)
add_dependencies(fillwire_package ${FILLWIRE_EXPORTED_TARGETS})
foreach(_tool IN ITEMS fillwire upbit-sim)
  if(TARGET ${_tool})
    add_dependencies(fillwire_package ${_tool})
  endif()
endforeach()

// Sanitizer runtime options built into every test program of the sanitizer
// build (PRESENCE_SANITIZE=ON), so that ctest, the test discovery at build
// time and a direct run all halt on the first report with a failing exit
// status. ASAN_OPTIONS / UBSAN_OPTIONS in the environment still override
// single options; scripts/test.sh exports the same values.

#ifndef PRESENCE_UBSAN_SUPPRESSIONS
#  error "PRESENCE_UBSAN_SUPPRESSIONS must name tests/sanitizers/ubsan.supp"
#endif

extern "C" {

// The runtimes look these up by name; they must have C linkage and default
// visibility.
__attribute__((visibility("default"), used)) const char*
__asan_default_options() {
  return "halt_on_error=1:exitcode=1:print_stacktrace=1:detect_leaks=1";
}

__attribute__((visibility("default"), used)) const char*
__ubsan_default_options() {
  return "halt_on_error=1:exitcode=1:print_stacktrace=1"
         ":suppressions=" PRESENCE_UBSAN_SUPPRESSIONS;
}

} // extern "C"

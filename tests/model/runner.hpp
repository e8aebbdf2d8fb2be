#pragma once

// Runs a step list against the library (one fresh actor system, manager,
// three recording pushers and two recording event subscribers) and the
// reference model side by side, comparing after every step.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tests/model/steps.hpp"

namespace presence::model {

struct failure {
  /// Index of the step after which library and model disagreed.
  size_t step = 0;
  std::string what;
};

/// The first disagreement, if any.
std::optional<failure> run_steps(const std::vector<step>& steps);

using step_runner
  = std::function<std::optional<failure>(const std::vector<step>&)>;

/// Drops steps (halves, quarters, ... single steps) while the sequence still
/// fails under `run`; returns the smallest failing sequence found.
std::vector<step> shrink(std::vector<step> steps,
                         const step_runner& run = run_steps);

} // namespace presence::model

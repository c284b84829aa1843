// Typed errors of the soilrisk library.
//
// Every message says what was wrong, where (file, layer, feature id, field) and what
// to do. The CLI maps the type to an exit code: UsageError -> 2, everything else -> 1.
#pragma once

#include <stdexcept>
#include <string>

namespace soilrisk {

/// Base of all soilrisk errors. The message is one line, ready for the user.
class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// The command line or project file asks for something impossible (unknown option,
/// bad length, missing required parameter). Exit code 2.
class UsageError : public Error {
  public:
    using Error::Error;
};

/// Input data that cannot be used as it is (missing field, no CRS, empty layer,
/// coordinates that contradict their CRS). Exit code 1.
class DataError : public Error {
  public:
    using Error::Error;
};

/// A file or database cannot be opened, read or written. Exit code 1.
class IoError : public Error {
  public:
    using Error::Error;
};

/// An output exists and --overwrite was not given. Exit code 1.
class OutputExistsError : public IoError {
  public:
    using IoError::IoError;
};

/// The work would need more memory (or another resource) than the machine allows; refused
/// before it starts, with an estimate and a suggestion. Exit code 1.
class ResourceError : public Error {
  public:
    using Error::Error;
};

/// The user (or a progress callback) cancelled the work. Exit code 130.
class Cancelled : public Error {
  public:
    using Error::Error;
};

} // namespace soilrisk

//! Why a submission cannot be built.

/// An error from building a submission; each names the setting at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// A setting sparkplane does not reproduce; building it would give a different pod than
    /// spark-submit, so it is refused instead.
    #[error("{setting}: not supported by sparkplane submit: {reason}")]
    Unsupported {
        /// The option or configuration key.
        setting: String,
        /// Why, and what to do instead.
        reason: String,
    },
    /// A value spark-submit would also reject.
    #[error("{setting}: expected {expected}, got {got:?}")]
    Invalid {
        /// The option or configuration key.
        setting: String,
        /// What a valid value looks like.
        expected: String,
        /// The value given.
        got: String,
    },
    /// A setting that breaks the Pod Security level asked for (`--pod-security`).
    #[error("{violation} (--pod-security {} allows it)", violation.allowed_by)]
    PodSecurity {
        /// The setting, its path and what the level expects.
        violation: crate::pod_security::Violation,
    },
    /// A required setting is missing.
    #[error("{setting}: required: {reason}")]
    Missing {
        /// The option or configuration key.
        setting: String,
        /// What it is needed for.
        reason: String,
    },
}

impl From<crate::pod_security::Violation> for SubmitError {
    fn from(violation: crate::pod_security::Violation) -> Self {
        SubmitError::PodSecurity { violation }
    }
}

/// A resource setting Spark would refuse, in the words the typed readers of
/// [`crate::conf::SparkConf`] use.
impl From<sparkplane_spark_resources::Invalid> for SubmitError {
    fn from(e: sparkplane_spark_resources::Invalid) -> Self {
        use sparkplane_spark_resources::Expected;
        let expected = match e.expected {
            Expected::Mib | Expected::Bytes => crate::conf::EXPECTED_SIZE,
            Expected::Decimal => crate::conf::EXPECTED_DECIMAL,
            Expected::Integer => crate::conf::EXPECTED_INTEGER,
            Expected::Boolean => crate::conf::EXPECTED_BOOLEAN,
        };
        SubmitError::invalid(e.key, expected, e.value)
    }
}

impl SubmitError {
    pub(crate) fn unsupported(setting: impl Into<String>, reason: impl Into<String>) -> Self {
        SubmitError::Unsupported {
            setting: setting.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid(
        setting: impl Into<String>,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) -> Self {
        SubmitError::Invalid {
            setting: setting.into(),
            expected: expected.into(),
            got: got.into(),
        }
    }
}

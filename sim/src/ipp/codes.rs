//! IPP operation ids and status codes (RFC 8011 §5.4.15, §B; PWG 5100.x), each
//! with an `Unknown(raw)` variant so a value we do not know survives.

use std::fmt;

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident : $repr:ty { $($(#[$vm:meta])* $var:ident = $val:expr => $kw:expr,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vm])* $var,)*
            /// A value this implementation does not know.
            Unknown($repr),
        }
        impl $name {
            /// From the wire value.
            pub fn from_raw(v: $repr) -> Self {
                match v { $($val => $name::$var,)* other => $name::Unknown(other) }
            }
            /// The wire value.
            pub fn raw(self) -> $repr {
                match self { $($name::$var => $val,)* $name::Unknown(v) => v }
            }
            /// The registered name.
            pub fn name(self) -> Option<&'static str> {
                match self { $($name::$var => Some($kw),)* $name::Unknown(_) => None }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() { Some(n) => f.write_str(n), None => write!(f, "0x{:04x}", self.raw()) }
            }
        }
    };
}

wire_enum! {
    /// An IPP operation (`operation-id`).
    Operation: u16 {
        /// Print-Job.
        PrintJob = 0x0002 => "Print-Job",
        /// Print-URI.
        PrintUri = 0x0003 => "Print-URI",
        /// Validate-Job.
        ValidateJob = 0x0004 => "Validate-Job",
        /// Create-Job.
        CreateJob = 0x0005 => "Create-Job",
        /// Send-Document.
        SendDocument = 0x0006 => "Send-Document",
        /// Send-URI.
        SendUri = 0x0007 => "Send-URI",
        /// Cancel-Job.
        CancelJob = 0x0008 => "Cancel-Job",
        /// Get-Job-Attributes.
        GetJobAttributes = 0x0009 => "Get-Job-Attributes",
        /// Get-Jobs.
        GetJobs = 0x000A => "Get-Jobs",
        /// Get-Printer-Attributes.
        GetPrinterAttributes = 0x000B => "Get-Printer-Attributes",
        /// Hold-Job.
        HoldJob = 0x000C => "Hold-Job",
        /// Release-Job.
        ReleaseJob = 0x000D => "Release-Job",
        /// Restart-Job.
        RestartJob = 0x000E => "Restart-Job",
        /// Pause-Printer.
        PausePrinter = 0x0010 => "Pause-Printer",
        /// Resume-Printer.
        ResumePrinter = 0x0011 => "Resume-Printer",
        /// Purge-Jobs.
        PurgeJobs = 0x0012 => "Purge-Jobs",
        /// Set-Printer-Attributes.
        SetPrinterAttributes = 0x0013 => "Set-Printer-Attributes",
        /// Set-Job-Attributes.
        SetJobAttributes = 0x0014 => "Set-Job-Attributes",
        /// Get-Printer-Supported-Values.
        GetPrinterSupportedValues = 0x0015 => "Get-Printer-Supported-Values",
        /// Create-Printer-Subscriptions.
        CreatePrinterSubscriptions = 0x0016 => "Create-Printer-Subscriptions",
        /// Create-Job-Subscriptions.
        CreateJobSubscriptions = 0x0017 => "Create-Job-Subscriptions",
        /// Get-Subscription-Attributes.
        GetSubscriptionAttributes = 0x0018 => "Get-Subscription-Attributes",
        /// Get-Subscriptions.
        GetSubscriptions = 0x0019 => "Get-Subscriptions",
        /// Renew-Subscription.
        RenewSubscription = 0x001A => "Renew-Subscription",
        /// Cancel-Subscription.
        CancelSubscription = 0x001B => "Cancel-Subscription",
        /// Get-Notifications.
        GetNotifications = 0x001C => "Get-Notifications",
        /// Enable-Printer.
        EnablePrinter = 0x0022 => "Enable-Printer",
        /// Disable-Printer.
        DisablePrinter = 0x0023 => "Disable-Printer",
        /// Pause-Printer-After-Current-Job.
        PausePrinterAfterCurrentJob = 0x0024 => "Pause-Printer-After-Current-Job",
        /// Hold-New-Jobs.
        HoldNewJobs = 0x0025 => "Hold-New-Jobs",
        /// Release-Held-New-Jobs.
        ReleaseHeldNewJobs = 0x0026 => "Release-Held-New-Jobs",
        /// Restart-Printer.
        RestartPrinter = 0x0029 => "Restart-Printer",
        /// Shutdown-Printer.
        ShutdownPrinter = 0x002A => "Shutdown-Printer",
        /// Startup-Printer.
        StartupPrinter = 0x002B => "Startup-Printer",
        /// Reprocess-Job.
        ReprocessJob = 0x002C => "Reprocess-Job",
        /// Cancel-Current-Job.
        CancelCurrentJob = 0x002D => "Cancel-Current-Job",
        /// Suspend-Current-Job.
        SuspendCurrentJob = 0x002E => "Suspend-Current-Job",
        /// Resume-Job.
        ResumeJob = 0x002F => "Resume-Job",
        /// Promote-Job.
        PromoteJob = 0x0030 => "Promote-Job",
        /// Schedule-Job-After.
        ScheduleJobAfter = 0x0031 => "Schedule-Job-After",
        /// Cancel-Document.
        CancelDocument = 0x0033 => "Cancel-Document",
        /// Get-Document-Attributes.
        GetDocumentAttributes = 0x0034 => "Get-Document-Attributes",
        /// Get-Documents.
        GetDocuments = 0x0035 => "Get-Documents",
        /// Set-Document-Attributes.
        SetDocumentAttributes = 0x0037 => "Set-Document-Attributes",
        /// Cancel-Jobs.
        CancelJobs = 0x0038 => "Cancel-Jobs",
        /// Cancel-My-Jobs.
        CancelMyJobs = 0x0039 => "Cancel-My-Jobs",
        /// Resubmit-Job.
        ResubmitJob = 0x003A => "Resubmit-Job",
        /// Close-Job.
        CloseJob = 0x003B => "Close-Job",
        /// Identify-Printer.
        IdentifyPrinter = 0x003C => "Identify-Printer",
        /// Validate-Document.
        ValidateDocument = 0x003D => "Validate-Document",
    }
}

wire_enum! {
    /// An IPP status code.
    Status: u16 {
        /// successful-ok.
        Ok = 0x0000 => "successful-ok",
        /// successful-ok-ignored-or-substituted-attributes.
        OkIgnoredOrSubstituted = 0x0001 => "successful-ok-ignored-or-substituted-attributes",
        /// successful-ok-conflicting-attributes.
        OkConflicting = 0x0002 => "successful-ok-conflicting-attributes",
        /// client-error-bad-request.
        BadRequest = 0x0400 => "client-error-bad-request",
        /// client-error-forbidden.
        Forbidden = 0x0401 => "client-error-forbidden",
        /// client-error-not-authenticated.
        NotAuthenticated = 0x0402 => "client-error-not-authenticated",
        /// client-error-not-authorized.
        NotAuthorized = 0x0403 => "client-error-not-authorized",
        /// client-error-not-possible.
        NotPossible = 0x0404 => "client-error-not-possible",
        /// client-error-timeout.
        Timeout = 0x0405 => "client-error-timeout",
        /// client-error-not-found.
        NotFound = 0x0406 => "client-error-not-found",
        /// client-error-gone.
        Gone = 0x0407 => "client-error-gone",
        /// client-error-request-entity-too-large.
        RequestEntityTooLarge = 0x0408 => "client-error-request-entity-too-large",
        /// client-error-request-value-too-long.
        RequestValueTooLong = 0x0409 => "client-error-request-value-too-long",
        /// client-error-document-format-not-supported.
        DocumentFormatNotSupported = 0x040A => "client-error-document-format-not-supported",
        /// client-error-attributes-or-values-not-supported.
        AttributesOrValuesNotSupported = 0x040B => "client-error-attributes-or-values-not-supported",
        /// client-error-uri-scheme-not-supported.
        UriSchemeNotSupported = 0x040C => "client-error-uri-scheme-not-supported",
        /// client-error-charset-not-supported.
        CharsetNotSupported = 0x040D => "client-error-charset-not-supported",
        /// client-error-conflicting-attributes.
        ConflictingAttributes = 0x040E => "client-error-conflicting-attributes",
        /// client-error-compression-not-supported.
        CompressionNotSupported = 0x040F => "client-error-compression-not-supported",
        /// client-error-compression-error.
        CompressionError = 0x0410 => "client-error-compression-error",
        /// client-error-document-format-error.
        DocumentFormatError = 0x0411 => "client-error-document-format-error",
        /// client-error-document-access-error.
        DocumentAccessError = 0x0412 => "client-error-document-access-error",
        /// server-error-internal-error.
        InternalError = 0x0500 => "server-error-internal-error",
        /// server-error-operation-not-supported.
        OperationNotSupported = 0x0501 => "server-error-operation-not-supported",
        /// server-error-service-unavailable.
        ServiceUnavailable = 0x0502 => "server-error-service-unavailable",
        /// server-error-version-not-supported.
        VersionNotSupported = 0x0503 => "server-error-version-not-supported",
        /// server-error-device-error.
        DeviceError = 0x0504 => "server-error-device-error",
        /// server-error-temporary-error.
        TemporaryError = 0x0505 => "server-error-temporary-error",
        /// server-error-not-accepting-jobs.
        NotAcceptingJobs = 0x0506 => "server-error-not-accepting-jobs",
        /// server-error-busy.
        Busy = 0x0507 => "server-error-busy",
        /// server-error-job-canceled.
        JobCanceled = 0x0508 => "server-error-job-canceled",
        /// server-error-multiple-document-jobs-not-supported.
        MultipleDocumentJobsNotSupported = 0x0509 => "server-error-multiple-document-jobs-not-supported",
    }
}

impl Status {
    /// A successful status (0x0000–0x00FF).
    pub fn is_success(self) -> bool {
        self.raw() < 0x0100
    }
}

/// The operations the virtual printer implements, in `operations-supported` order.
pub const SUPPORTED_OPERATIONS: &[Operation] = &[
    Operation::PrintJob,
    Operation::ValidateJob,
    Operation::CreateJob,
    Operation::SendDocument,
    Operation::CancelJob,
    Operation::GetJobAttributes,
    Operation::GetJobs,
    Operation::GetPrinterAttributes,
    Operation::HoldJob,
    Operation::ReleaseJob,
    Operation::RestartJob,
    Operation::PausePrinter,
    Operation::ResumePrinter,
    Operation::PurgeJobs,
    Operation::SetPrinterAttributes,
    Operation::SetJobAttributes,
    Operation::GetPrinterSupportedValues,
    Operation::CreatePrinterSubscriptions,
    Operation::CreateJobSubscriptions,
    Operation::GetSubscriptionAttributes,
    Operation::GetSubscriptions,
    Operation::RenewSubscription,
    Operation::CancelSubscription,
    Operation::GetNotifications,
    Operation::EnablePrinter,
    Operation::DisablePrinter,
    Operation::PausePrinterAfterCurrentJob,
    Operation::HoldNewJobs,
    Operation::ReleaseHeldNewJobs,
    Operation::RestartPrinter,
    Operation::ShutdownPrinter,
    Operation::StartupPrinter,
    Operation::ReprocessJob,
    Operation::CancelCurrentJob,
    Operation::SuspendCurrentJob,
    Operation::ResumeJob,
    Operation::PromoteJob,
    Operation::ScheduleJobAfter,
    Operation::CancelDocument,
    Operation::GetDocumentAttributes,
    Operation::GetDocuments,
    Operation::SetDocumentAttributes,
    Operation::CancelJobs,
    Operation::CancelMyJobs,
    Operation::ResubmitJob,
    Operation::CloseJob,
    Operation::IdentifyPrinter,
    Operation::ValidateDocument,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_all_raw_values() {
        for v in 0..=0x0600u16 {
            assert_eq!(Operation::from_raw(v).raw(), v);
            assert_eq!(Status::from_raw(v).raw(), v);
        }
        assert_eq!(Operation::from_raw(0x0B), Operation::GetPrinterAttributes);
        assert_eq!(
            Status::VersionNotSupported.to_string(),
            "server-error-version-not-supported"
        );
        assert_eq!(Operation::from_raw(0x4001).to_string(), "0x4001");
    }
}

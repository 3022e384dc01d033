public enum IntakeCoreVersion { public static let string = "0.1.0" }

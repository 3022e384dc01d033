import Foundation
import IntakeCLI

exit(await IntakeCommandLine.main(Array(CommandLine.arguments.dropFirst())))

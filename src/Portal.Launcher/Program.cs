using System.Text.Json;
using Portal.Launcher;
using Portal.Launcher.Audit;
using Portal.Launcher.Native;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;
using Portal.Launcher.Verbs;

// The privileged launcher: one JSON request on stdin, one JSON result on stdout (or a raw log
// stream), exit codes in LauncherExitCodes. See docs/launcher.md.
return await Launcher.MainAsync();

namespace Portal.Launcher
{
    internal static class Launcher
    {
        public static async Task<int> MainAsync()
        {
            Descriptors.EnsureStdio();
            Descriptors.CloseOnExecAboveStderr();

            bool privileged;
            uint caller;
            try
            {
                privileged = Privileges.IsPrivileged();
                caller = Privileges.RealUid;
            }
            catch (PrivilegeException e)
            {
                return Reply(LauncherExitCodes.PrivilegeError, e.Message);
            }

            LauncherPolicy policy;
            AuditFile audit;
            string? podmanProblem;
            try
            {
                uint trustedOwner = privileged ? 0 : caller;
                policy = PolicyLoader.Load(PolicyLoader.PathFor(privileged), trustedOwner);
                audit = AuditFile.Open(policy.AuditLog, trustedOwner, caller, privileged);
                podmanProblem = UntrustedPodman(policy, trustedOwner);
            }
            catch (Exception e) when (e is PolicyException or UnsafeFileException or IOException)
            {
                // No trustworthy policy means no audit sink either: refuse everything, loudly.
                return Reply(LauncherExitCodes.PolicyError, "Launcher policy unusable: " + e.Message);
            }

            LauncherRequest? request = null;
            try
            {
                request = ReadRequest();
                audit.Verb = UntrustedText.Printable(request.Verb);
                audit.User = request.User is null ? null : UntrustedText.Printable(request.User);
                audit.Job = request.Job is null ? null : UntrustedText.Printable(request.Job);
                RequestValidator.Validate(request, policy);
            }
            catch (RequestRefusedException e)
            {
                audit.Refused(e.Message);
                return Reply(LauncherExitCodes.Refused, e.Message, LauncherVerbs.Streams(request?.Verb));
            }

            // The self-test reports an unusable podman as one of its findings; every other verb but the password check refuses.
            if (podmanProblem is not null && request.Verb is not (LauncherVerbs.Check or LauncherVerbs.Authenticate or LauncherVerbs.DriverPolicy or LauncherVerbs.KillGpuProcess))
            {
                audit.Failed("podman unusable: " + podmanProblem);
                return Reply(LauncherExitCodes.PolicyError, "Launcher policy unusable: " + podmanProblem, LauncherVerbs.Streams(request.Verb));
            }

            // For logs stdout is the raw stream; errors then go to stderr only, so that no JSON
            // error can be mistaken for a line the job wrote.
            bool streaming = LauncherVerbs.Streams(request.Verb);
            var ctx = new LaunchContext(request, policy, audit, privileged, caller, podmanProblem);
            try
            {
                VerbResult result = request.Verb switch
                {
                    LauncherVerbs.Check => await SelfCheck.ExecuteAsync(ctx),
                    LauncherVerbs.Authenticate => await Authenticate.ExecuteAsync(ctx),
                    LauncherVerbs.SlurmSubmit or LauncherVerbs.SlurmCancel or LauncherVerbs.SlurmLog or LauncherVerbs.SlurmConnect => await Slurm.SlurmVerbs.ExecuteAsync(ctx),
                    LauncherVerbs.DriverPolicy => await DriverPolicyVerb.ExecuteAsync(ctx),
                    LauncherVerbs.KillGpuProcess => await KillGpuProcessVerb.ExecuteAsync(ctx),
                    _ => await ContainerVerbs.ExecuteAsync(ctx),
                };
                if (streaming)
                {
                    // The stream itself went to stdout; only the launcher's own failure has a line.
                    if (result.Response.Error is not null)
                    {
                        StandardStreams.ErrorLine("portal-launcher: " + result.Response.Error);
                    }
                }
                else
                {
                    Write(result.Response);
                }

                return result.ExitCode;
            }
            catch (RequestRefusedException e)
            {
                audit.Refused(e.Message);
                return Reply(LauncherExitCodes.Refused, e.Message, streaming);
            }
            catch (PrivilegeException e)
            {
                audit.Failed("privilege drop: " + e.Message);
                return Reply(LauncherExitCodes.PrivilegeError, "Could not drop privileges: " + e.Message, streaming);
            }
            catch (Exception e) when (e is IOException or UnsafeFileException or InvalidOperationException or JsonException or UnauthorizedAccessException)
            {
                audit.Failed(e.Message);
                return Reply(LauncherExitCodes.InternalError, e.Message, streaming);
            }
        }

        /// <summary>Why the policy's podman cannot be trusted, or null. The podman the user will run must be one
        /// only root (the caller, in dev mode) could have put there.</summary>
        private static string? UntrustedPodman(LauncherPolicy policy, uint trustedOwner)
        {
            try
            {
                SafeFiles.CheckTrustedExecutable(policy.Podman, trustedOwner);
                return null;
            }
            catch (UnsafeFileException e)
            {
                return e.Message;
            }
        }

        /// <summary>
        /// Reads one request: a JSON object ended by a newline, or by the end of stdin. At most
        /// MaxRequestBytes; a longer request is refused without parsing.
        /// </summary>
        /// <remarks>
        /// Stopping at the newline lets a caller keep stdin open after the request: a followed log
        /// stream lasts until the caller closes it (see <see cref="Podman.ToolProcess.Stream"/>).
        /// </remarks>
        private static LauncherRequest ReadRequest()
        {
            using Stream stdin = StandardStreams.OpenInput();

            // Requests are a few hundred bytes: start small and grow, rather than clear 64 KiB on every call.
            byte[] buffer = new byte[4096];
            int total = 0;
            int n;
            while ((n = stdin.Read(buffer, total, buffer.Length - total)) > 0)
            {
                total += n;
                if (total > LauncherProtocol.MaxRequestBytes)
                {
                    break;
                }

                if (buffer.AsSpan(total - n, n).Contains((byte)'\n') && RequestReader.EndsHere(buffer.AsSpan(0, total)))
                {
                    break;
                }

                if (total == buffer.Length)
                {
                    byte[] larger = new byte[Math.Min(buffer.Length * 4, LauncherProtocol.MaxRequestBytes + 1)];
                    buffer.CopyTo(larger, 0);
                    System.Security.Cryptography.CryptographicOperations.ZeroMemory(buffer);
                    buffer = larger;
                }
            }

            if (total > LauncherProtocol.MaxRequestBytes)
            {
                throw new RequestRefusedException($"The request is larger than {LauncherProtocol.MaxRequestBytes} bytes.");
            }

            try
            {
                return JsonSerializer.Deserialize(buffer.AsSpan(0, total), LauncherJsonContext.Default.LauncherRequest)
                    ?? throw new RequestRefusedException("The request is JSON null.");
            }
            catch (JsonException e)
            {
                throw new RequestRefusedException("Malformed request: " + e.Message);
            }
            finally
            {
                // An authenticate request carries a password: it lives on only in the request's own zeroed-on-dispose buffer.
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(buffer);
            }
        }

        private static int Reply(int exitCode, string error, bool streaming = false)
        {
            StandardStreams.ErrorLine("portal-launcher: " + error);
            if (!streaming)
            {
                Write(new LauncherResponse { Ok = false, Error = error });
            }

            return exitCode;
        }

        internal static void Write(LauncherResponse response, Stream stdout)
        {
            using (var writer = new Utf8JsonWriter(stdout))
            {
                JsonSerializer.Serialize(writer, response, ResponseJsonContext.Default.LauncherResponse);
            }

            stdout.WriteByte((byte)'\n');
        }

        private static void Write(LauncherResponse response)
        {
            using Stream stdout = StandardStreams.OpenOutput();
            Write(response, stdout);
        }
    }
}

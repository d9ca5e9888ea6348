using System.Runtime.InteropServices;
using System.Text;

namespace Portal.Launcher.Native;

/// <summary>A PAM check's outcome: the PAM code, the step that gave it and PAM's words for it.</summary>
internal readonly record struct PamResult(int Code, string Step, string Message)
{
    public bool Succeeded => Code == Pam.Success;
}

/// <summary>
/// Checks a password with PAM (libpam.so.0, loaded on first use, so other verbs never load it): pam_start with the
/// portal's own service, pam_authenticate, pam_acct_mgmt, pam_end. No session is opened and no credentials are set:
/// the launcher only answers whether the password and the account are good. The password reaches PAM through the
/// conversation function from one native buffer that is zeroed and freed before this returns.
/// </summary>
internal static unsafe partial class Pam
{
    private const string Library = "libpam.so.0";

    public const int Success = 0;
    public const int AuthError = 7;
    public const int UserUnknown = 10;
    public const int NewPasswordRequired = 12;
    public const int AccountExpired = 13;
    private const int ConversationError = 19;

    private const int ItemUser = 2;
    private const int ItemRemoteHost = 4;
    private const int ItemFailDelay = 10;

    private const int FlagSilent = 0x8000;
    private const int FlagDisallowNullPassword = 0x0001;

    private const int PromptEchoOff = 1;
    private const int ErrorMessage = 3;
    private const int TextInfo = 4;

    /// <summary>One password prompt is what pam_unix and pam_sss ask; a stack asking again and again gets refused.</summary>
    private const int MaxPasswordPrompts = 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct Conversation
    {
        public delegate* unmanaged<int, Message**, Response**, void*, int> Converse;
        public void* AppData;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Message
    {
        public int Style;
        public byte* Text;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Response
    {
        public byte* Text;
        public int ReturnCode;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Secret
    {
        public byte* Password;
        public nuint Length;
        public int Prompts;
    }

    [LibraryImport(Library, EntryPoint = "pam_start")]
    private static partial int Start(byte* service, byte* user, Conversation* conversation, void** handle);

    [LibraryImport(Library, EntryPoint = "pam_end")]
    private static partial int End(void* handle, int status);

    [LibraryImport(Library, EntryPoint = "pam_set_item")]
    private static partial int SetItem(void* handle, int type, void* item);

    [LibraryImport(Library, EntryPoint = "pam_get_item")]
    private static partial int GetItem(void* handle, int type, void** item);

    [LibraryImport(Library, EntryPoint = "pam_authenticate")]
    private static partial int Authenticate(void* handle, int flags);

    [LibraryImport(Library, EntryPoint = "pam_acct_mgmt")]
    private static partial int AccountManagement(void* handle, int flags);

    [LibraryImport(Library, EntryPoint = "pam_strerror")]
    private static partial byte* Describe(void* handle, int code);

    /// <summary>Checks <paramref name="password"/> for <paramref name="user"/> through <paramref name="service"/>.</summary>
    /// <exception cref="DllNotFoundException">libpam is not installed.</exception>
    public static PamResult Check(string service, string user, ReadOnlySpan<byte> password, string? remoteHost)
    {
        var secret = new Secret { Password = (byte*)NativeMemory.AllocZeroed((nuint)password.Length + 1), Length = (nuint)password.Length };
        password.CopyTo(new Span<byte>(secret.Password, password.Length));
        var conversation = new Conversation { Converse = &Converse, AppData = &secret };
        byte* serviceText = Utf8(service);
        byte* userText = Utf8(user);
        byte* hostText = remoteHost is null ? null : Utf8(remoteHost);
        void* handle = null;
        int code = -1;
        try
        {
            code = Start(serviceText, userText, &conversation, &handle);
            if (code != Success)
            {
                handle = null;
                return new PamResult(code, "pam_start", $"PAM could not start (code {code}).");
            }

            // PAM modules ask for a delay after a failure (pam_unix: about 2 s, randomized). The launcher answers every
            // refusal after one fixed floor instead, so that an unknown user and a wrong password look alike.
            code = SetItem(handle, ItemFailDelay, (delegate* unmanaged<int, uint, void*, void>)&NoDelay);
            if (code == Success && hostText is not null)
            {
                code = SetItem(handle, ItemRemoteHost, hostText);
            }

            if (code != Success)
            {
                return Failed(handle, code, "pam_set_item");
            }

            code = Authenticate(handle, FlagSilent | FlagDisallowNullPassword);
            if (code != Success)
            {
                return Failed(handle, code, "pam_authenticate");
            }

            code = AccountManagement(handle, FlagSilent | FlagDisallowNullPassword);
            if (code != Success)
            {
                return Failed(handle, code, "pam_acct_mgmt");
            }

            // A module may rewrite PAM_USER (aliases, case folding): vouch only for the exact account asked about.
            void* item = null;
            code = GetItem(handle, ItemUser, &item);
            if (code != Success || item == null || !SameText((byte*)item, userText))
            {
                code = AuthError;
                return new PamResult(code, "pam_get_item", "PAM changed the user name during the check.");
            }

            return new PamResult(Success, "pam_acct_mgmt", "ok");
        }
        finally
        {
            if (handle != null)
            {
                _ = End(handle, code);
            }

            NativeMemory.Clear(secret.Password, secret.Length);
            NativeMemory.Free(secret.Password);
            NativeMemory.Free(serviceText);
            NativeMemory.Free(userText);
            NativeMemory.Free(hostText);
        }
    }

    private static PamResult Failed(void* handle, int code, string step)
    {
        byte* text = Describe(handle, code);
        string message = text == null ? $"code {code}" : Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(text));
        return new PamResult(code, step, message);
    }

    /// <summary>
    /// PAM's conversation: the password for each hidden prompt, nothing for messages, and a refusal for a visible
    /// prompt (the user name is set already; a one-time code or a question is not something the portal can answer).
    /// Replies are malloc'd, as libpam frees them (and wipes them first).
    /// </summary>
    [UnmanagedCallersOnly]
    private static int Converse(int count, Message** messages, Response** responses, void* appData)
    {
        if (count <= 0 || count > 32 || messages == null || responses == null)
        {
            return ConversationError;
        }

        var secret = (Secret*)appData;
        var replies = (Response*)NativeMemory.AllocZeroed((nuint)count, (nuint)sizeof(Response));
        for (int i = 0; i < count; i++)
        {
            int style = messages[i]->Style;
            if (style == PromptEchoOff && ++secret->Prompts <= MaxPasswordPrompts)
            {
                byte* copy = (byte*)NativeMemory.AllocZeroed(secret->Length + 1);
                NativeMemory.Copy(secret->Password, copy, secret->Length);
                replies[i].Text = copy;
            }
            else if (style is not (ErrorMessage or TextInfo))
            {
                FreeReplies(replies, count);
                *responses = null;
                return ConversationError;
            }
        }

        *responses = replies;
        return Success;
    }

    [UnmanagedCallersOnly]
    private static void NoDelay(int status, uint microseconds, void* appData)
    {
    }

    private static void FreeReplies(Response* replies, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (replies[i].Text != null)
            {
                NativeMemory.Clear(replies[i].Text, (nuint)MemoryMarshal.CreateReadOnlySpanFromNullTerminated(replies[i].Text).Length);
                NativeMemory.Free(replies[i].Text);
            }
        }

        NativeMemory.Free(replies);
    }

    private static byte* Utf8(string text)
    {
        int length = Encoding.UTF8.GetByteCount(text);
        byte* native = (byte*)NativeMemory.AllocZeroed((nuint)length + 1);
        _ = Encoding.UTF8.GetBytes(text, new Span<byte>(native, length));
        return native;
    }

    private static bool SameText(byte* a, byte* b) =>
        MemoryMarshal.CreateReadOnlySpanFromNullTerminated(a).SequenceEqual(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(b));
}

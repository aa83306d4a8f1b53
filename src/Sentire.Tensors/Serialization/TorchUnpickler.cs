using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Sentire.Tensors.Serialization;

/// <summary>A storage named by a checkpoint's persistent id ('storage', torch.FloatStorage, key, location, numel):
/// its elements lie in the zip entry "archive/data/{Key}".</summary>
sealed record TorchStorage(string Key, SafeTensorsDType DType, long ElementCount, string TypeName);

/// <summary>A tensor as torch._utils._rebuild_tensor_v2 describes it: a strided view into a storage.</summary>
sealed record TorchTensorView(TorchStorage Storage, long StorageOffset, int[] Shape, long[] Stride)
{
    public long ElementCount => Shape.Aggregate(1L, (n, s) => n * s);
}

/// <summary>
/// A restricted unpickler for the data.pkl of a torch.save zip checkpoint: the guarantee of
/// torch.load(weights_only=True), that loading runs no code. It implements the pickle opcodes of protocols 2 to 5
/// that torch.save writes (https://github.com/python/cpython/blob/main/Lib/pickletools.py documents each), and builds
/// only None, bools, ints, floats, strings, bytes, tuples, lists, dicts, collections.OrderedDict, torch.Size, storages
/// (persistent ids) and tensors (torch._utils._rebuild_tensor_v2, _rebuild_parameter[_with_state] and
/// torch._tensor._rebuild_from_type_v2 onto torch.Tensor or torch.nn.Parameter). Any other global is refused where the
/// pickle names it, before anything is called: <see cref="TorchCheckpointFormatException.RefusedGlobal"/> names it.
/// Every length and index is checked against the bytes that remain, so a hostile pickle allocates at most in proportion
/// to its own size.
/// </summary>
sealed class TorchUnpickler
{
    /// <summary>The callables and classes a checkpoint may name (everything else is refused).</summary>
    enum Allowed { OrderedDict, RebuildTensorV2, RebuildParameter, RebuildParameterWithState, RebuildFromTypeV2, TorchSize, TensorClass, ParameterClass }

    sealed record Global(string Module, string Name, Allowed Kind)
    {
        public override string ToString() => $"{Module}.{Name}";
    }

    /// <summary>torch.FloatStorage and its kin (typed storages), or torch.UntypedStorage (bytes).</summary>
    sealed record StorageClass(string Name, SafeTensorsDType DType);

    /// <summary>A Python dict or OrderedDict: insertion order kept, a repeated key replaces its value.</summary>
    public sealed class Dict
    {
        readonly List<KeyValuePair<object?, object?>> items = [];
        readonly Dictionary<object, int> index = [];
        static readonly object NoneKey = new();

        public IReadOnlyList<KeyValuePair<object?, object?>> Items => items;

        public void Set(object? key, object? value)
        {
            var k = key ?? NoneKey;
            if (index.TryGetValue(k, out int at)) items[at] = new(key, value);
            else { index[k] = items.Count; items.Add(new(key, value)); }
        }
    }

    /// <summary>A Python tuple (immutable, so an array).</summary>
    public sealed record Tuple(object?[] Items);

    static readonly object Mark = new();

    static readonly Dictionary<(string, string), Allowed> Globals = new()
    {
        [("collections", "OrderedDict")] = Allowed.OrderedDict,
        [("torch._utils", "_rebuild_tensor_v2")] = Allowed.RebuildTensorV2,
        [("torch._utils", "_rebuild_parameter")] = Allowed.RebuildParameter,
        [("torch._utils", "_rebuild_parameter_with_state")] = Allowed.RebuildParameterWithState,
        [("torch._tensor", "_rebuild_from_type_v2")] = Allowed.RebuildFromTypeV2,
        [("torch", "Size")] = Allowed.TorchSize,
        [("torch", "Tensor")] = Allowed.TensorClass,
        [("torch.nn.parameter", "Parameter")] = Allowed.ParameterClass,
    };

    /// <summary>torch's storage classes (torch/storage.py) and the element type each holds; the unsupported ones
    /// (complex, quantised) are known by name so the error can say so.</summary>
    static readonly Dictionary<string, SafeTensorsDType?> StorageClasses = new()
    {
        ["FloatStorage"] = SafeTensorsDType.F32, ["HalfStorage"] = SafeTensorsDType.F16, ["BFloat16Storage"] = SafeTensorsDType.BF16,
        ["DoubleStorage"] = SafeTensorsDType.F64, ["LongStorage"] = SafeTensorsDType.I64, ["IntStorage"] = SafeTensorsDType.I32,
        ["ShortStorage"] = SafeTensorsDType.I16, ["CharStorage"] = SafeTensorsDType.I8, ["ByteStorage"] = SafeTensorsDType.U8,
        ["BoolStorage"] = SafeTensorsDType.BOOL, ["UntypedStorage"] = SafeTensorsDType.U8,
        ["ComplexFloatStorage"] = null, ["ComplexDoubleStorage"] = null, ["QInt8Storage"] = null, ["QUInt8Storage"] = null,
        ["QInt32Storage"] = null, ["QUInt4x2Storage"] = null, ["QUInt2x4Storage"] = null,
    };

    readonly string path;
    readonly byte[] data;
    int position;
    int opcodeStart;   // where the opcode being run starts: errors point there
    readonly List<object?> stack = [];
    readonly List<int> marks = [];
    readonly Dictionary<long, object?> memo = [];
    readonly Dictionary<string, TorchStorage> storages = new(StringComparer.Ordinal);

    TorchUnpickler(string path, byte[] data)
    {
        this.path = path;
        this.data = data;
    }

    /// <summary>Unpickles <paramref name="pickle"/> (the bytes of data.pkl); <paramref name="path"/> names the file in errors.</summary>
    public static (object? Root, IReadOnlyDictionary<string, TorchStorage> Storages) Load(string path, byte[] pickle)
    {
        var unpickler = new TorchUnpickler(path, pickle);
        var root = unpickler.Run();
        return (root, unpickler.storages);
    }

    TorchCheckpointFormatException Bad(string problem, string? refused = null) =>
        new(path, $"data.pkl byte {opcodeStart}: {problem}", refused);

    object? Run()
    {
        while (true)
        {
            if (position >= data.Length) throw Bad("the pickle ends without a STOP opcode (truncated?)");
            opcodeStart = position;
            byte op = data[position++];
            switch (op)
            {
                case 0x80: // PROTO
                    int protocol = ReadByte();
                    if (protocol is < 2 or > 5) throw Bad($"pickle protocol {protocol}, expected 2 to 5 (as torch.save writes)");
                    break;
                case 0x95: // FRAME: a length hint for buffered readers; the whole pickle is in memory
                    if (ReadUInt64() > (ulong)(data.Length - position)) throw Bad("FRAME runs past the end of the pickle");
                    break;
                case (byte)'.': // STOP
                    if (stack.Count != 1 || marks.Count != 0) throw Bad($"STOP with {stack.Count} objects on the stack, expected 1");
                    return Pop();

                case (byte)'(': marks.Add(stack.Count); break;                         // MARK
                case (byte)'0': Pop(); break;                                          // POP
                case (byte)'1': PopMark(); break;                                      // POP_MARK
                case (byte)'2': stack.Add(Peek()); break;                              // DUP

                case (byte)'N': stack.Add(null); break;                                // NONE
                case 0x88: stack.Add(true); break;                                     // NEWTRUE
                case 0x89: stack.Add(false); break;                                    // NEWFALSE
                case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;  // BININT
                case (byte)'K': stack.Add((long)ReadByte()); break;                   // BININT1
                case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
                case 0x8a: stack.Add(ReadLong(ReadByte())); break;                     // LONG1
                case 0x8b: stack.Add(ReadLong(ReadLength(4))); break;                  // LONG4
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;          // BINFLOAT

                case (byte)'X': stack.Add(ReadUtf8(ReadLength(4))); break;             // BINUNICODE
                case 0x8c: stack.Add(ReadUtf8(ReadByte())); break;                     // SHORT_BINUNICODE
                case 0x8d: stack.Add(ReadUtf8(ReadLength(8))); break;                  // BINUNICODE8
                case (byte)'T': stack.Add(Encoding.Latin1.GetString(Take(ReadLength(4)))); break; // BINSTRING
                case (byte)'U': stack.Add(Encoding.Latin1.GetString(Take(ReadByte()))); break;    // SHORT_BINSTRING
                case (byte)'B': stack.Add(Take(ReadLength(4)).ToArray()); break;       // BINBYTES
                case (byte)'C': stack.Add(Take(ReadByte()).ToArray()); break;          // SHORT_BINBYTES
                case 0x8e: stack.Add(Take(ReadLength(8)).ToArray()); break;            // BINBYTES8
                case 0x96: stack.Add(Take(ReadLength(8)).ToArray()); break;            // BYTEARRAY8

                case (byte)')': stack.Add(new Tuple([])); break;                       // EMPTY_TUPLE
                case (byte)'t': stack.Add(new Tuple(PopMark())); break;                // TUPLE
                case 0x85: stack.Add(new Tuple(PopN(1))); break;                       // TUPLE1
                case 0x86: stack.Add(new Tuple(PopN(2))); break;                       // TUPLE2
                case 0x87: stack.Add(new Tuple(PopN(3))); break;                       // TUPLE3
                case (byte)']': stack.Add(new List<object?>()); break;                 // EMPTY_LIST
                case (byte)'l': stack.Add(new List<object?>(PopMark())); break;        // LIST
                case (byte)'a': { var item = Pop(); AsList(Peek(), "APPEND").Add(item); break; }            // APPEND
                case (byte)'e': { var items = PopMark(); AsList(Peek(), "APPENDS").AddRange(items); break; } // APPENDS
                case (byte)'}': stack.Add(new Dict()); break;                          // EMPTY_DICT
                case (byte)'d': { var d = new Dict(); SetItems(d, PopMark()); stack.Add(d); break; }       // DICT
                case (byte)'s': { var value = Pop(); var key = Pop(); AsDict(Peek(), "SETITEM").Set(key, value); break; } // SETITEM
                case (byte)'u': { var items = PopMark(); SetItems(AsDict(Peek(), "SETITEMS"), items); break; }   // SETITEMS

                case (byte)'c': { var module = ReadLine(); var name = ReadLine(); stack.Add(FindGlobal(module, name)); break; } // GLOBAL
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop();
                    var module = Pop();
                    if (module is not string m || name is not string n) throw Bad("STACK_GLOBAL needs two strings");
                    stack.Add(FindGlobal(m, n));
                    break;
                }
                case (byte)'R': { var args = Pop(); var callable = Pop(); stack.Add(Call(callable, args)); break; } // REDUCE
                case (byte)'b': Build(Pop(), Peek()); break;                           // BUILD
                case (byte)'Q': stack.Add(PersistentLoad(Pop())); break;               // BINPERSID

                case (byte)'q': memo[ReadByte()] = Peek(); break;                      // BINPUT
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break; // LONG_BINPUT
                case 0x94: memo[memo.Count] = Peek(); break;                           // MEMOIZE
                case (byte)'h': stack.Add(Get(ReadByte())); break;                    // BINGET
                case (byte)'j': stack.Add(Get(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break; // LONG_BINGET

                default:
                    throw Bad(op is >= 0x20 and < 0x7f
                        ? $"pickle opcode '{(char)op}' (0x{op:x2}) is not one that torch.save writes for tensors"
                        : $"pickle opcode 0x{op:x2} is not one that torch.save writes for tensors");
            }
        }
    }

    // ---- reading ---------------------------------------------------------------------------------

    ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > data.Length - position)
            throw Bad($"needs {count} more bytes but the pickle has {data.Length - position} left (truncated?)");
        var span = data.AsSpan(position, count);
        position += count;
        return span;
    }

    int ReadByte() => Take(1)[0];

    ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>A 4- or 8-byte length prefix, checked against what is left of the pickle before anything is allocated.</summary>
    int ReadLength(int bytes)
    {
        ulong length = bytes == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(Take(4)) : ReadUInt64();
        if (length > (ulong)(data.Length - position))
            throw Bad($"a length of {length} bytes runs past the end of the pickle ({data.Length - position} bytes left)");
        return (int)length;
    }

    string ReadUtf8(int length)
    {
        var bytes = Take(length);
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException) { throw Bad("a string is not valid UTF-8"); }
    }

    /// <summary>LONG1/LONG4: a little-endian two's-complement integer of n bytes; checkpoints need no more than 64 bits.</summary>
    long ReadLong(int n)
    {
        var bytes = Take(n);
        if (n == 0) return 0;
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        if (value < long.MinValue || value > long.MaxValue) throw Bad($"an integer of {n} bytes does not fit 64 bits");
        return (long)value;
    }

    /// <summary>The newline-terminated module or name of a GLOBAL opcode.</summary>
    string ReadLine()
    {
        int end = Array.IndexOf(data, (byte)'\n', position, Math.Min(data.Length - position, 512));
        if (end < 0) throw Bad("GLOBAL is not followed by a newline-terminated name within 512 bytes");
        var line = Encoding.UTF8.GetString(data, position, end - position);
        position = end + 1;
        return line;
    }

    // ---- the stack -------------------------------------------------------------------------------

    object? Pop()
    {
        int floor = marks.Count > 0 ? marks[^1] : 0;
        if (stack.Count <= floor) throw Bad("pops an empty stack");
        var top = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return top;
    }

    object? Peek()
    {
        int floor = marks.Count > 0 ? marks[^1] : 0;
        if (stack.Count <= floor) throw Bad("reads an empty stack");
        return stack[^1];
    }

    object?[] PopN(int n)
    {
        int floor = marks.Count > 0 ? marks[^1] : 0;
        if (stack.Count - floor < n) throw Bad($"needs {n} objects on the stack, {stack.Count - floor} are there");
        var items = stack.GetRange(stack.Count - n, n).ToArray();
        stack.RemoveRange(stack.Count - n, n);
        return items;
    }

    object?[] PopMark()
    {
        if (marks.Count == 0) throw Bad("no MARK to pop to");
        int mark = marks[^1];
        marks.RemoveAt(marks.Count - 1);
        var items = stack.GetRange(mark, stack.Count - mark).ToArray();
        stack.RemoveRange(mark, stack.Count - mark);
        return items;
    }

    object? Get(long key) => memo.TryGetValue(key, out var value) ? value : throw Bad($"memo key {key} was never stored");

    List<object?> AsList(object? o, string op) => o as List<object?> ?? throw Bad($"{op} onto a {TypeName(o)}, expected a list");
    Dict AsDict(object? o, string op) => o as Dict ?? throw Bad($"{op} onto a {TypeName(o)}, expected a dict");

    void SetItems(Dict dict, object?[] items)
    {
        if (items.Length % 2 != 0) throw Bad($"SETITEMS with {items.Length} objects, expected key-value pairs");
        for (int i = 0; i < items.Length; i += 2) dict.Set(items[i], items[i + 1]);
    }

    static string TypeName(object? o) => o switch
    {
        null => "None",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        byte[] => "bytes",
        Tuple => "tuple",
        List<object?> => "list",
        Dict => "dict",
        Global g => g.ToString(),
        StorageClass s => $"torch.{s.Name}",
        TorchStorage => "storage",
        TorchTensorView => "tensor",
        _ => o.GetType().Name,
    };

    // ---- globals, calls and persistent ids ---------------------------------------------------------

    object FindGlobal(string module, string name)
    {
        if (Globals.TryGetValue((module, name), out var kind)) return new Global(module, name, kind);
        if (module == "torch" && StorageClasses.TryGetValue(name, out var dtype))
            return dtype is { } d ? new StorageClass(name, d)
                : throw Bad($"torch.{name} holds elements the engine cannot read (it reads float, half, bfloat16, double and integer storages)");
        var full = $"{module}.{name}";
        var hint = module.StartsWith("torch.nn.modules", StringComparison.Ordinal) || module == "__main__"
            ? " (this file pickles Python objects, e.g. a whole model; save model.state_dict() instead)" : "";
        throw Bad($"refused global {full}: loading it could run code, and only tensors, storages and containers of them are allowed{hint}", full);
    }

    object? Call(object? callable, object? args)
    {
        if (callable is not Global g) throw Bad($"REDUCE calls a {TypeName(callable)}, which is not callable here");
        if (args is not Tuple t) throw Bad($"REDUCE of {g} with {TypeName(args)} arguments, expected a tuple");
        var a = t.Items;
        switch (g.Kind)
        {
            case Allowed.OrderedDict:
                if (a.Length == 0) return new Dict();
                if (a.Length == 1 && a[0] is List<object?> pairs)
                {
                    var d = new Dict();
                    foreach (var pair in pairs)
                        if (pair is Tuple { Items.Length: 2 } kv) d.Set(kv.Items[0], kv.Items[1]);
                        else throw Bad("collections.OrderedDict([...]) with an item that is not a (key, value) pair");
                    return d;
                }
                throw Bad($"collections.OrderedDict called with {a.Length} arguments of types {string.Join(", ", a.Select(TypeName))}");
            case Allowed.TorchSize:
                if (a.Length == 1 && a[0] is Tuple sizes && sizes.Items.All(s => s is long)) return sizes;
                throw Bad("torch.Size expects one tuple of ints");
            case Allowed.RebuildTensorV2:
                return RebuildTensor(a);
            case Allowed.RebuildParameter or Allowed.RebuildParameterWithState:
                // (data, requires_grad, backward_hooks[, state]): the parameter is its data
                if (a.Length == (g.Kind == Allowed.RebuildParameter ? 3 : 4) && a[0] is TorchTensorView p) return p;
                throw Bad($"{g} expects (tensor, requires_grad, backward_hooks{(g.Kind == Allowed.RebuildParameter ? "" : ", state")})");
            case Allowed.RebuildFromTypeV2:
                // (func, new_type, args, state): a tensor saved with attributes; only plain tensors and parameters
                if (a.Length == 4 && a[0] is Global { Kind: Allowed.RebuildTensorV2 } && a[1] is Global { Kind: Allowed.TensorClass or Allowed.ParameterClass }
                    && a[2] is Tuple inner)
                    return RebuildTensor(inner.Items);
                throw Bad($"{g} accepts only (torch._utils._rebuild_tensor_v2, torch.Tensor or torch.nn.Parameter, args, state)");
            default:
                throw Bad($"{g} is a class, not something to call");
        }
    }

    /// <summary>torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]).</summary>
    TorchTensorView RebuildTensor(object?[] a)
    {
        if (a.Length is < 6 or > 7 || a[0] is not TorchStorage storage || a[1] is not long offset || a[2] is not Tuple size || a[3] is not Tuple stride || a[4] is not bool)
            throw Bad($"torch._utils._rebuild_tensor_v2 expects (storage, offset, size, stride, requires_grad, backward_hooks[, metadata]), got ({string.Join(", ", a.Select(TypeName))})");
        if (size.Items.Length != stride.Items.Length)
            throw Bad($"a tensor has {size.Items.Length} sizes but {stride.Items.Length} strides");
        if (size.Items.Length > 32) throw Bad($"a tensor of rank {size.Items.Length} (at most 32 here)");
        var shape = new int[size.Items.Length];
        var strides = new long[size.Items.Length];
        for (int d = 0; d < shape.Length; d++)
        {
            if (size.Items[d] is not long n || n < 0 || n > int.MaxValue) throw Bad($"size {size.Items[d] ?? "None"} in dimension {d} is not an int in [0, {int.MaxValue}]");
            if (stride.Items[d] is not long s || s < 0) throw Bad($"stride {stride.Items[d] ?? "None"} in dimension {d} is not a non-negative int");
            shape[d] = (int)n;
            strides[d] = s;
        }
        if (offset < 0) throw Bad($"storage offset {offset} is negative");
        var view = new TorchTensorView(storage, offset, shape, strides);
        // The view must lie inside its storage, and (so that loading allocates no more than the file holds) hold no more
        // elements than it: an expanded view (stride 0 over many elements) is refused.
        long count = 1;
        long last = offset;
        try
        {
            foreach (var n in shape) count = checked(count * n);
            if (count > 0)
                for (int d = 0; d < shape.Length; d++) last = checked(last + (shape[d] - 1) * strides[d]);
        }
        catch (OverflowException) { throw Bad($"a tensor of size [{string.Join(", ", shape)}] overflows a 64-bit element count"); }
        if (count > 0 && last >= storage.ElementCount)
            throw Bad($"a tensor of size [{string.Join(", ", shape)}], stride [{string.Join(", ", strides)}] at offset {offset} reaches element {last} of storage \"{storage.Key}\", which holds {storage.ElementCount}");
        if (count > storage.ElementCount)
            throw Bad($"a tensor of size [{string.Join(", ", shape)}] has {count} elements but its storage \"{storage.Key}\" only {storage.ElementCount} (an expanded view; save it with .contiguous())");
        return view;
    }

    /// <summary>('storage', storage class, key, location, numel): one storage per key, shared by the views that name it.</summary>
    TorchStorage PersistentLoad(object? pid)
    {
        if (pid is not Tuple { Items: [string tag, var type, string key, string, long numel] } || tag != "storage")
            throw Bad($"a persistent id is {TypeName(pid)}, expected ('storage', storage type, key, location, numel)");
        if (type is not StorageClass storageClass) throw Bad($"a persistent id names {TypeName(type)}, expected a torch storage class");
        if (numel < 0) throw Bad($"storage \"{key}\" has {numel} elements");
        if (storages.TryGetValue(key, out var known))
        {
            if (known.DType != storageClass.DType || known.ElementCount != numel)
                throw Bad($"storage \"{key}\" is named as {known.TypeName} of {known.ElementCount} and as {storageClass.Name} of {numel}");
            return known;
        }
        var storage = new TorchStorage(key, storageClass.DType, numel, storageClass.Name);
        storages[key] = storage;
        return storage;
    }

    void Build(object? state, object? target)
    {
        // An OrderedDict state dict carries {"_metadata": {...}} (module versions) as its instance state; tensors may
        // carry attribute state. Neither affects the values, so the state is dropped.
        if (target is Dict or TorchTensorView) return;
        throw Bad($"BUILD on a {TypeName(target)} with {TypeName(state)} state; only dicts and tensors take state here");
    }
}
